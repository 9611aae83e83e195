/**
 * `npm run bench:idle`: what an idle connection costs a pqrpc server (issue
 * 8's target: <= 64 KiB of heap per idle connection). A server process (the
 * hostile tests' server, test/hostile/hostile-server.ts) reports its heap
 * after a full GC; this process opens IDLE_CONNECTIONS connections per
 * protocol, each finishing one SayHello and then staying open and silent,
 * and prints the heap and RSS per connection, as JSON.
 */
import { connect } from "../src/client/channel.ts";
import { Greeter } from "../src/gen/helloworld/greeter_pb.ts";
import { createClient } from "../src/node/rpc-defaults.ts";
import { startHostileServer } from "../test/hostile/harness.ts";

const IDLE_CONNECTIONS = Number(process.env["PQRPC_IDLE_CONNECTIONS"] ?? 200);
const KIB = 1024;

const server = await startHostileServer({
  maxConnectionsPerSource: IDLE_CONNECTIONS + 10,
  maxConnections: 4 * IDLE_CONNECTIONS,
});
const report: Record<string, unknown> = { node: process.version, connections: IDLE_CONNECTIONS };
try {
  for (const protocol of ["pqrpc/1", "h2"] as const) {
    const before = await server.stats();
    const rssBefore = await server.rssBytes();
    const channels = [];
    for (let i = 0; i < IDLE_CONNECTIONS; i++) {
      const channel = await connect(`127.0.0.1:${server.port}`, {
        trust: server.trust,
        serverName: "localhost",
        protocol,
        telemetry: false,
      });
      await createClient(Greeter, channel).sayHello({ name: "idle" });
      channels.push(channel);
    }
    const after = await server.stats();
    const rssAfter = await server.rssBytes();
    report[protocol] = {
      heapPerConnectionKiB: Number(
        ((after.heapUsedBytes - before.heapUsedBytes) / IDLE_CONNECTIONS / KIB).toFixed(1),
      ),
      rssPerConnectionKiB: Number(((rssAfter - rssBefore) / IDLE_CONNECTIONS / KIB).toFixed(1)),
      sessions: after.server.sessions,
    };
    for (const c of channels) await c.close();
  }
} finally {
  await server.stop();
}
console.log(JSON.stringify(report, null, 2));
