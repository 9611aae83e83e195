/**
 * The server process of the pqrpc/1 hostile-peer tests: a real pqrpc server
 * (TLS, pqrpc/1) with helloworld.Greeter, run in its own process so its RSS
 * is its own. Usage: node --import tsx frames-server.ts <chain.pem> <key.pem> <options.json>
 *
 * - sayHello "stats": JSON of the handler counts and process.memoryUsage().rss
 *   ("reset-stats": the same, after restarting the counts);
 * - sayHello "hold": runs HOLD_MS ignoring its signal (a handler that keeps
 *   working after its stream was reset), counted while it runs;
 * - lotsOfGreetings: reads every request (a client-stream upload), counted;
 * - anything else: "hello <name>".
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { loadIdentity } from "../../src/pki/load.ts";
import { createServer, type ServerOptions } from "../../src/server/index.ts";

/** How long a "hold" call keeps its handler running, ms: longer than any test phase that needs it running. */
const HOLD_MS = 60_000;

const [chainPath, keyPath, optionsJson] = process.argv.slice(2);
const options = JSON.parse(optionsJson ?? "{}") as Pick<ServerOptions, "frames" | "maxReceiveMessageBytes">;
const collectGarbage = (globalThis as { gc?: () => void }).gc;
let running = 0;
let maxRunning = 0;
let started = 0;
const enter = () => {
  started++;
  running++;
  maxRunning = Math.max(maxRunning, running);
};

const server = createServer({ identity: await loadIdentity(chainPath!, keyPath!), ...options }).service(
  Greeter,
  {
    async sayHello(req) {
      if (req.name === "reset-stats") {
        maxRunning = running;
        started = 0;
      }
      if (req.name === "stats" || req.name === "reset-stats") {
        // Retained memory, not garbage not yet collected (the process runs with --expose-gc).
        collectGarbage?.();
        collectGarbage?.();
        return {
          message: JSON.stringify({ running, maxRunning, started, ...process.memoryUsage() }),
        };
      }
      if (req.name === "hold") {
        enter();
        try {
          await sleep(HOLD_MS);
        } finally {
          running--;
        }
      }
      return { message: `hello ${req.name}` };
    },
    async *lotsOfReplies(req) {
      yield { message: req.name };
    },
    async lotsOfGreetings(reqs) {
      enter();
      try {
        let n = 0;
        for await (const _ of reqs) n++;
        return { message: `${n} greetings` };
      } finally {
        running--;
      }
    },
    async *chat(reqs) {
      for await (const r of reqs) yield { message: r.name };
    },
  },
);
const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
console.log(`listening on 127.0.0.1:${port}`);
process.once("SIGTERM", () => {
  void server.close({ graceMs: 0 }).then(() => process.exit(0));
});
