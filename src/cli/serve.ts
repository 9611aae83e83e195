/**
 * `pqrpc serve (--demo | --interop | --proto FILE --impl MODULE) [--port N] [--host H]
 *   [--cert F --key F]... [--ca F] [--policy NAME] [--alpn h2,pqrpc/1] [--grace-ms N] [--ws-path P]`
 *
 * Serves, on one port, raw TLS and TLS over WebSocket, ALPN "h2" (gRPC over
 * HTTP/2) and "pqrpc/1":
 *   --demo      helloworld.Greeter, the demo service of `npm start`;
 *   --interop   grpc.testing.TestService, gRPC's interop service;
 *   --proto/--impl  the services of a .proto (compiled by buf at start-up)
 *               with handlers from MODULE (see ./serve-impl.ts for its shape).
 * --cert/--key may repeat: the server holds every chain and each handshake
 * gets the first whose signature scheme the client accepts and the policy
 * allows (so under pq-kex an ML-DSA-65 chain first and an ECDSA chain second
 * serve pqrpc clients and stock gRPC clients on one port).
 * Without --cert/--key it uses the development certificates in
 * .pqrpc/dev-certs, creating them on first use (as `npm start` does).
 * --ca FILE requires client certificates, verified against that CA.
 * --policy pq-strict|hybrid|pq-kex|compat is the TLS policy (default hybrid).
 * --metrics HOST:PORT serves Prometheus metrics (needs the optional
 * @opentelemetry/sdk-metrics and @opentelemetry/exporter-prometheus);
 * --log-format text|json is the form of the security log on stderr (every
 * refused handshake, one line with its cause); --block refuses sources that
 * trip a detector for a while. SSLKEYLOGFILE, when set, receives the TLS key log.
 * --ticket-keys FILE shares session-ticket keys with other processes (pqrpc
 * tickets), reloaded when the file changes. SIGHUP, or a change of a --cert or
 * --key file, loads the chains again: new handshakes get them, open
 * connections and their calls go on.
 * Prints one line with the address once listening; SIGINT/SIGTERM close it gracefully.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { DescService } from "@bufbuild/protobuf";
import { defaultCrypto } from "../crypto/select.ts";
import { TestService } from "../gen/grpc/testing/test_pb.ts";
import { Greeter } from "../gen/helloworld/greeter_pb.ts";
import { createTestServiceHandlers } from "../interop/test-service.ts";
import { watchFileChanges } from "../node/watch-files.ts";
import { parseCertificate } from "../pki/certificate.ts";
import type { CertifiedKey } from "../pki/types.ts";
import { DEFAULT_CLOSE_GRACE_MS, DEFAULT_WEBSOCKET_PATH } from "../server/limits.ts";
import { createServer } from "../server/server.ts";
import type { ServerProtocol } from "../server/server-options.ts";
import { watchTicketKeyFile } from "../server/ticket-key-file.ts";
import { DEFAULT_POLICY, POLICIES, type PolicyName } from "../tls/policy.ts";
import { TicketSealer } from "../tls/ticket-sealer.ts";
import { parseAddress } from "./address.ts";
import { runCerts } from "./certs.ts";
import { CliError, type CliIo } from "./cli-error.ts";
import { greeterHandlers } from "./greeter-service.ts";
import { loadIdentityFiles, loadTrustFile } from "./load-files.ts";
import { policyWarnings } from "./policy-warnings.ts";
import { compileSchema } from "./schema.ts";
import { loadImplementations } from "./serve-impl.ts";
import { parseLogFormat, setUpServeTelemetry } from "./serve-telemetry.ts";
import { commandUsage } from "./usage.ts";

const PROTOCOLS: readonly ServerProtocol[] = ["h2", "pqrpc/1"];
const MAX_PORT = 65_535;
/** Port when --port is not given: gRPC's customary one. */
export const DEFAULT_SERVE_PORT = 50_051;
/** Longest --grace-ms accepted, ms. */
const MAX_GRACE_MS = 600_000;
/** Where the development certificates live when --cert/--key are not given (shared with `npm start`). */
export const DEV_CERTS_DIR = ".pqrpc/dev-certs";

const SERVE_USAGE = commandUsage("serve");

/** Resolves with the first of SIGINT/SIGTERM, removing both listeners. */
export function nextTerminationSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(signal);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

function integer(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new CliError(`serve: ${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

interface ServiceBinding {
  readonly service: DescService;
  readonly handlers: object;
}

/** One certificate chain and its key, as named on the command line. */
export interface IdentityFiles {
  readonly cert: string;
  readonly key: string;
}

/**
 * The --cert/--key pairs in order (a server may hold several chains, e.g. ML-DSA-65 and ECDSA
 * P-256 under policy pq-kex: each handshake gets the first whose signature the client accepts),
 * or the development certificates (created when missing).
 */
async function identityFiles(
  values: { cert?: string[]; key?: string[] },
  io: CliIo,
): Promise<IdentityFiles[]> {
  const certs = values.cert ?? [];
  const keys = values.key ?? [];
  if (certs.length > 0 || keys.length > 0) {
    if (certs.length !== keys.length) {
      throw new CliError(
        `serve: --cert and --key go together (${certs.length} --cert, ${keys.length} --key)\n${SERVE_USAGE}`,
      );
    }
    return certs.map((cert, i) => ({ cert, key: keys[i]! }));
  }
  if (!existsSync(join(DEV_CERTS_DIR, "server.pem"))) {
    io.stdout(`pqrpc serve: creating development certificates in ${DEV_CERTS_DIR}\n`);
    await runCerts(["init", "--dir", DEV_CERTS_DIR], io);
  }
  return [{ cert: join(DEV_CERTS_DIR, "server.pem"), key: join(DEV_CERTS_DIR, "server.key") }];
}

/** After a change of a certificate or key file, wait this long for its partner to change too, ms. */
const IDENTITY_RELOAD_SETTLE_MS = 250;
/** How often the certificate and key files are looked at, ms. */
const IDENTITY_FILE_POLL_MS = 1000;

/** "2 certificate chains (CN=a until 2027-01-01, ...)" for the reload line. */
function describeIdentities(identities: readonly CertifiedKey[]): string {
  const each = identities.map((id) => {
    const leaf = parseCertificate(id.chain[0]!);
    return `${leaf.subject}, ${leaf.keyAlgorithm}, until ${leaf.notAfter.toISOString()}`;
  });
  return `${identities.length} certificate chain${identities.length === 1 ? "" : "s"} (${each.join("; ")})`;
}

/**
 * Reloads on SIGHUP and when any certificate or key file changes (rotation without downtime;
 * renewal tools such as certbot or `pqrpc certs` rewrite the files in place). SIGHUP also
 * re-reads the ticket key file. A failed reload keeps what was loaded.
 */
function watchIdentityFiles(
  files: readonly IdentityFiles[],
  reload: () => Promise<void>,
  onError: (e: unknown) => void,
  tickets: { reload(): Promise<void> } | undefined,
): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = running.then(() => reload().catch(onError));
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(run, IDENTITY_RELOAD_SETTLE_MS);
  };
  const unwatch = watchFileChanges(
    files.flatMap((f) => [f.cert, f.key]),
    IDENTITY_FILE_POLL_MS,
    soon,
  );
  const onHangUp = () => {
    run();
    tickets?.reload().catch(onError);
  };
  process.on("SIGHUP", onHangUp);
  return {
    close() {
      clearTimeout(timer);
      process.off("SIGHUP", onHangUp);
      unwatch();
    },
  };
}

/**
 * --renew ADDR: keeps the first chain renewed by a pqrpc CA (pqrpc ca serve) at 2/3 of its
 * lifetime, writing the new key and chain over --cert/--key; the file watch then swaps it in.
 */
async function startRenewer(
  flags: { address: string | undefined; caFile: string | undefined; at: string | undefined },
  current: CertifiedKey,
  files: IdentityFiles,
  io: CliIo,
): Promise<{ stop(): void } | undefined> {
  const { address, caFile } = flags;
  if (address === undefined) {
    if (caFile !== undefined || flags.at !== undefined) {
      throw new CliError("serve: --renew-ca and --renew-at go with --renew ADDR");
    }
    return undefined;
  }
  const at = flags.at === undefined ? undefined : Number(flags.at);
  if (at !== undefined && !(at > 0 && at < 1)) {
    throw new CliError(`serve: --renew-at must be a fraction between 0 and 1, got "${flags.at}"`);
  }
  if (caFile === undefined)
    throw new CliError("serve: --renew ADDR needs --renew-ca FILE (the CA service's trust)");
  const target = parseAddress(address);
  const { createCertificateRenewer } = await import("../services/ca/renewer.ts");
  const { writeRenewedFiles } = await import("./ca.ts");
  const renewer = createCertificateRenewer({
    address: `${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`,
    serverName: target.host,
    trust: await loadTrustFile("--renew-ca", caFile),
    current,
    ...(at === undefined ? {} : { renewAtFraction: at }),
    onIdentity: async (r) => {
      await writeRenewedFiles(files.cert, files.key, r);
      io.stdout(
        `pqrpc serve: renewed the certificate from ${address}, valid until ${r.notAfter.toISOString()}\n`,
      );
    },
    onError: (e) =>
      io.stderr(
        `pqrpc serve: renewing from ${address} failed, will retry: ${e instanceof Error ? e.message : String(e)}\n`,
      ),
  });
  await renewer.start();
  io.stdout(`pqrpc serve: renewing from ${address} at ${new Date(renewer.nextRenewalMs).toISOString()}\n`);
  return renewer;
}

/** Every identity, loaded in the order given. */
function loadIdentities(files: readonly IdentityFiles[]): Promise<CertifiedKey[]> {
  return Promise.all(
    files.map((f) => loadIdentityFiles({ flag: "--cert", path: f.cert }, { flag: "--key", path: f.key })),
  );
}

export async function runServe(
  args: string[],
  io: CliIo,
  until: () => Promise<unknown> = nextTerminationSignal,
): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      demo: { type: "boolean", default: false },
      interop: { type: "boolean", default: false },
      proto: { type: "string", multiple: true },
      "import-path": { type: "string" },
      impl: { type: "string" },
      port: { type: "string", default: String(DEFAULT_SERVE_PORT) },
      host: { type: "string" },
      cert: { type: "string", multiple: true },
      key: { type: "string", multiple: true },
      ca: { type: "string" },
      policy: { type: "string" },
      alpn: { type: "string", default: PROTOCOLS.join(",") },
      "grace-ms": { type: "string", default: String(DEFAULT_CLOSE_GRACE_MS) },
      "ws-path": { type: "string", default: DEFAULT_WEBSOCKET_PATH },
      metrics: { type: "string" },
      "log-format": { type: "string", default: "text" },
      block: { type: "boolean", default: false },
      "ticket-keys": { type: "string" },
      renew: { type: "string" },
      "renew-ca": { type: "string" },
      "renew-at": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const user = values.proto !== undefined || values.impl !== undefined;
  const modes = [values.demo, values.interop, user].filter(Boolean).length;
  if (modes !== 1)
    throw new CliError(`serve: choose one of --demo, --interop or --proto with --impl\n${SERVE_USAGE}`);
  if (user && (!values.proto || !values.impl)) {
    throw new CliError(`serve: --proto and --impl go together\n${SERVE_USAGE}`);
  }
  const port = integer(values.port, "--port", 0, MAX_PORT);
  const graceMs = integer(values["grace-ms"], "--grace-ms", 0, MAX_GRACE_MS);
  const alpn = values.alpn.split(",").map((p) => p.trim());
  for (const p of alpn) {
    if (!PROTOCOLS.includes(p as ServerProtocol)) {
      throw new CliError(`serve: unknown --alpn protocol "${p}" (one of: ${PROTOCOLS.join(", ")})`);
    }
  }
  parseLogFormat(values["log-format"]);
  const policy = values.policy as PolicyName | undefined;
  if (policy !== undefined && !Object.hasOwn(POLICIES, policy)) {
    throw new CliError(`serve: unknown --policy "${policy}" (one of: ${Object.keys(POLICIES).join(", ")})`);
  }

  let bindings: ServiceBinding[];
  if (values.demo) bindings = [{ service: Greeter, handlers: greeterHandlers }];
  else if (values.interop) bindings = [{ service: TestService, handlers: createTestServiceHandlers() }];
  else {
    const schema = await compileSchema(values.proto!, values["import-path"]);
    bindings = await loadImplementations(values.impl!, schema);
  }

  const files = await identityFiles(values, io);
  const identities = await loadIdentities(files);
  for (const warning of policyWarnings(identities, policy ?? DEFAULT_POLICY)) {
    io.stderr(`pqrpc serve: warning: ${warning}\n`);
  }
  const clientAuth =
    values.ca === undefined
      ? {}
      : { clientAuth: "require" as const, trust: await loadTrustFile("--ca", values.ca) };
  const ticketKeys = values["ticket-keys"];
  const sealer = ticketKeys === undefined ? undefined : new TicketSealer(defaultCrypto());
  const ticketWatch =
    sealer === undefined
      ? undefined
      : await watchTicketKeyFile(ticketKeys!, sealer, {
          onLoad: (n) => io.stdout(`pqrpc serve: loaded ${n} ticket key(s) from ${ticketKeys}\n`),
          onError: (e) => io.stderr(`pqrpc serve: ${e.message}; keeping the ticket keys loaded before\n`),
        }).catch((e: unknown) => {
          throw new CliError(`serve: --ticket-keys: ${e instanceof Error ? e.message : String(e)}`);
        });
  const ops = await setUpServeTelemetry(
    { metrics: values.metrics, logFormat: values["log-format"], block: values.block },
    io,
  );
  const server = createServer({
    identity: identities.length === 1 ? identities[0]! : identities,
    alpn: alpn as ServerProtocol[],
    webSocket: { path: values["ws-path"] },
    // An operator's server: probes (pqrpc health, grpc-health-probe) and `pqrpc call` without --proto work.
    health: true,
    reflection: true,
    ...(policy === undefined ? {} : { policy }),
    ...clientAuth,
    telemetry: ops.telemetry,
    ...(ops.keyLog === undefined ? {} : { keyLog: ops.keyLog.sink }),
    ...(sealer === undefined ? {} : { sessionTickets: sealer }),
  });
  for (const b of bindings) server.service(b.service, b.handlers);
  const identityReload = watchIdentityFiles(
    files,
    async () => {
      const next = await loadIdentities(files);
      for (const warning of policyWarnings(next, policy ?? DEFAULT_POLICY)) {
        io.stderr(`pqrpc serve: warning: ${warning}\n`);
      }
      server.setIdentity(next.length === 1 ? next[0]! : next);
      io.stdout(`pqrpc serve: loaded ${describeIdentities(next)}; new handshakes get it\n`);
    },
    (e) =>
      io.stderr(
        `pqrpc serve: reloading the certificates failed, keeping the ones loaded before: ${e instanceof Error ? e.message : String(e)}\n`,
      ),
    ticketWatch,
  );
  // Subscribe before listening: a signal that comes while binding must not kill the process uncleanly.
  const stop = until();
  const address = await server.listen({ port, ...(values.host === undefined ? {} : { host: values.host }) });
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  const names = bindings.map((b) => b.service.typeName).join(", ");
  const extras = [
    `ALPN ${alpn.join(", ")}`,
    `policy ${policy ?? DEFAULT_POLICY}`,
    ...(values.ca === undefined ? [] : ["client certificates required"]),
    ...(ops.metrics === undefined ? [] : [`metrics ${ops.metrics.url}`]),
    ...(values.block ? ["block list on"] : []),
  ];
  io.stdout(
    `pqrpc serve: ${names} listening on ${host}:${address.port} ` +
      `(TLS and TLS over WebSocket ${values["ws-path"]}; ${extras.join("; ")})\n`,
  );
  const renewer = await startRenewer(
    { address: values.renew, caFile: values["renew-ca"], at: values["renew-at"] },
    identities[0]!,
    files[0]!,
    io,
  );
  try {
    await stop;
  } finally {
    renewer?.stop();
    identityReload.close();
    ticketWatch?.close();
  }
  await server.close({ graceMs });
  await ops.close();
}
