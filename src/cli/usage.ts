/**
 * The help text of every command, in one light module: `pqrpc --help` and
 * `pqrpc CMD --help` print from here without loading the command (and the
 * RPC stack behind it), and each command's usage errors quote the same text.
 */

export interface CommandHelp {
  /** One line for the command list. */
  readonly summary: string;
  /** The usage line(s), starting with "usage: pqrpc CMD". */
  readonly usage: string;
  /** Option descriptions, one per line, as printed by `pqrpc CMD --help`. */
  readonly details: string;
}

const TLS_OPTIONS = `  --ca FILE              trust these CA certificates (PEM)
  --insecure             do not verify the server's certificate (testing only)
  --servername NAME      server name for SNI and the certificate check (default: the host)
  --policy NAME          pq-strict | hybrid (default) | pq-kex | compat`;

export const COMMAND_HELP = {
  certs: {
    summary: "create and inspect certificates (certs init, certs show)",
    usage:
      "usage: pqrpc certs init --dir DIR [--alg NAME] [--san a,b] [--days N] [--force]\n" +
      "       pqrpc certs show FILE",
    details: `  init                   a development CA, a server and a client certificate with their keys
    --dir DIR            where to write ca.pem, server.pem, server.key, client.pem, client.key
    --alg NAME           signature algorithm of all three (default ml-dsa-65), e.g. ml-dsa-44,
                         ml-dsa-87, slh-dsa-sha2-128f, falcon-512, ecdsa-p256-sha256, ed25519
    --san a,b            DNS names and IP addresses of the server certificate
                         (default localhost,127.0.0.1)
    --days N             validity (default 365)
    --force              overwrite existing files
  show FILE              a certificate, CSR or private key (PEM), readable`,
  },
  generate: {
    summary: "compile .proto files to TypeScript or JavaScript (messages, clients, handlers)",
    usage:
      "usage: pqrpc generate [--out DIR] [--target ts|js|dts|js+dts] [--root DIR] [--runtime MODULE] " +
      "[--import-extension ts|js] FILES_OR_DIRS...",
    details: `  --out DIR              output directory (default gen)
  --target T             ts (default), js, dts or js+dts (JavaScript with declaration files)
  --root DIR             import root of the protos (default: the one directory given)
  --runtime MODULE       where generated stubs import pqrpc from (default "pqrpc")
  --import-extension E   extension of generated relative imports: ts or js
                         (default ts for --target ts, js otherwise)
Needs the code generator package: npm install --save-dev @pqrpc/codegen`,
  },
  call: {
    summary: "call a method and print the responses as JSON (like grpcurl)",
    usage:
      "usage: pqrpc call ADDR SERVICE/METHOD [-d JSON|@] [--proto FILE] [-H k:v] [--ca FILE|--insecure] " +
      "[--protocol pqrpc/1|h2] [--timeout MS] [-v]",
    details: `  ADDR                   host:port of the server
  SERVICE/METHOD         e.g. helloworld.Greeter/SayHello
  -d, --data JSON|@      request message(s) as JSON; several values stream them; @ reads stdin
  --proto FILE           the service's .proto (repeatable; needs @pqrpc/codegen); without it the
                         built-in demo and interop schemas are used
  --import-path DIR      import root of --proto files
  -H, --header k:v       request metadata (repeatable; "-bin" names take base64)
  --protocol P           pqrpc/1 or h2 (gRPC over HTTP/2); default: offer both, the server picks
  --timeout MS           deadline of the call
  -v, --verbose          print the handshake, headers, trailers and status
${TLS_OPTIONS}`,
  },
  health: {
    summary: "check a server's grpc.health.v1 status; exits like grpc-health-probe",
    usage:
      "usage: pqrpc health ADDR [SERVICE] [--ca FILE|--insecure] [--servername NAME] [--protocol pqrpc/1|h2] " +
      "[--timeout MS] [--connect-timeout MS] [--rpc-timeout MS] [-H k:v] [-v]",
    details: `  ADDR                   host:port of the server
  SERVICE                the service to check (default "": the whole server)
  --timeout MS           both timeouts below (default 1000 each, as grpc-health-probe)
  --connect-timeout MS   TCP + TLS handshake
  --rpc-timeout MS       the Check call
  --protocol P           pqrpc/1 or h2; default: offer both, the server picks
  -H, --header k:v       request metadata (repeatable)
  -v, --verbose          print the handshake and the status
${TLS_OPTIONS}
Exit codes (grpc-health-probe's): 0 SERVING, 1 invalid arguments, 2 connection or TLS failure,
3 RPC failure (unknown service, no health service, RPC timeout), 4 not SERVING.`,
  },
  probe: {
    summary: "show what a TLS 1.3 server negotiates: group, suite, chain, resumption",
    usage:
      "usage: pqrpc probe ADDR [--ca FILE] [--servername NAME] [--policy NAME] [--alpn LIST|none] " +
      "[--timeout MS] [--json]",
    details: `  ADDR                   host:port of any TLS 1.3 server
  --ca FILE              verify the chain against these CAs (without it the chain is shown unverified)
  --servername NAME      SNI and certificate name (default: the host)
  --policy NAME          pq-strict | hybrid (default) | pq-kex | compat
  --alpn LIST|none       protocols to offer, comma-separated (default pqrpc/1,h2)
  --timeout MS           give up after this long
  --json                 one JSON object instead of text`,
  },
  serve: {
    summary: "serve a .proto with your handlers, the demo Greeter or the interop TestService",
    usage:
      "usage: pqrpc serve (--demo | --interop | --proto FILE --impl MODULE) [--port N] [--host H] " +
      "[--cert FILE --key FILE] [--ca FILE] [--policy pq-strict|hybrid|pq-kex|compat] [--alpn h2,pqrpc/1] " +
      "[--grace-ms N] [--ws-path P] [--ticket-keys FILE] [--renew ADDR --renew-ca FILE [--renew-at F]] " +
      "[--metrics HOST:PORT] [--log-format text|json] [--block]",
    details: `  --demo                 the demo helloworld.Greeter (all four call kinds)
  --interop              gRPC's grpc.testing.TestService (the interop cases)
  --proto FILE           your service's .proto (repeatable; needs @pqrpc/codegen), with
  --impl MODULE          a module whose default export maps services to handlers
  --import-path DIR      import root of --proto files
  --port N               TCP port (default 50051; 0 picks a free one)
  --host H               address to bind (default: all)
  --cert FILE --key FILE certificate chain (PEM) and private key (PKCS#8 PEM); without them a
                         development CA and certificate are made in .pqrpc/dev-certs. Repeat the
                         pair to hold several chains (each handshake gets the first the client
                         accepts). SIGHUP, or a change of these files, loads them again: new
                         handshakes get the new chain, open connections keep going
  --ticket-keys FILE     session-ticket keys shared with other servers (pqrpc tickets init),
                         reloaded when the file changes; default: keys of this process only
  --renew ADDR           keep the first chain renewed by a pqrpc CA (pqrpc ca serve), authenticated
  --renew-ca FILE        by it, written over --cert/--key; --renew-ca trusts the CA service's TLS;
  --renew-at F           renew when this fraction of the lifetime left has passed (default 0.667)
  --ca FILE              require client certificates issued by these CAs
  --policy NAME          pq-strict | hybrid (default) | pq-kex | compat
  --alpn LIST            protocols to offer (default h2,pqrpc/1)
  --grace-ms N           on SIGINT/SIGTERM, let calls finish for this long (default 5000)
  --ws-path P            path of the WebSocket endpoint (default /)
  --metrics HOST:PORT    Prometheus metrics at http://HOST:PORT/metrics (needs the optional packages
                         @opentelemetry/sdk-metrics and @opentelemetry/exporter-prometheus)
  --log-format F         text (default) or json: the security log on stderr, one line per refused
                         handshake, downgrade attempt, flood or anomaly
  --block                refuse for 10 minutes the sources that trip a detector
  SSLKEYLOGFILE=FILE     write the TLS key log (NSS format, for Wireshark) to FILE: debugging only`,
  },
  ca: {
    summary: "a certificate authority for short-lived certificates (ca serve, token, enroll)",
    usage:
      "usage: pqrpc ca serve --ca-cert FILE --ca-key FILE [--tokens FILE] [--lifetime S] [--port N] [--host H]\n" +
      "                     [--cert FILE --key FILE | --san a,b] [--policy NAME]\n" +
      "       pqrpc ca token --tokens FILE --names a,b [--ttl S]\n" +
      "       pqrpc ca enroll ADDR --ca FILE --token T --out DIR [--names a,b] [--alg NAME]",
    details: `  serve                  issue certificates from CSRs over RPC (pqrpc.ca.v1.CertificateAuthority):
                         Enroll with a one-time token, Renew with the current certificate as the
                         TLS client certificate; --lifetime of issued certificates (default 86400);
                         its own TLS certificate from --cert/--key, or issued by the CA for --san
                         (default localhost,127.0.0.1); port 50052 by default
  token                  a one-time enrollment token for --names (printed once, stored hashed in
                         --tokens, mode 600), valid for --ttl seconds (default 86400)
  enroll ADDR            get a first certificate with a token: writes DIR/server.pem and
                         DIR/server.key (--alg key algorithm, default ml-dsa-65; --ca trusts the CA
                         service's TLS certificate)
  Keep a server's certificate renewed with pqrpc serve --renew ADDR --renew-ca FILE.`,
  },
  tickets: {
    summary: "session-ticket keys shared by several servers (tickets init, rotate, show)",
    usage:
      "usage: pqrpc tickets init FILE [--force]\n" +
      "       pqrpc tickets rotate FILE [--activate-after S] [--lifetime S]\n" +
      "       pqrpc tickets show FILE",
    details: `  init FILE              a new ticket key file (mode 600) with one key
  rotate FILE            add a key that starts sealing after --activate-after seconds (default 60:
                         time for every server watching FILE to load it), and drop keys whose
                         tickets have all expired (--lifetime: the servers' ticket lifetime,
                         default 7200)
  show FILE              key ids, activation times and which key seals now (no secrets)
  Servers read it with pqrpc serve --ticket-keys FILE and reload it when it changes.`,
  },
  bench: {
    summary: "load-test a method: concurrency, latency histogram, percentiles",
    usage:
      "usage: pqrpc bench ADDR SERVICE/METHOD [-d JSON] [--concurrency N] [--connections N] " +
      "[--total N | --duration S] [--size BYTES] [--ca FILE|--insecure] [--json]",
    details: `  -d, --data JSON        the request (default: an empty message)
  --concurrency N        calls in flight (default 10)
  --connections N        connections they are spread over (default 1)
  --total N              stop after N calls (default 200), or
  --duration S           run for S seconds
  --size BYTES           payload size for grpc.testing messages
  --json                 the report as JSON
  Also -H, --proto, --import-path, --protocol, --timeout as for call.
${TLS_OPTIONS}`,
  },
} satisfies Record<string, CommandHelp>;

export type CommandName = keyof typeof COMMAND_HELP;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMAND_HELP, name);
}

/** The usage line(s) of one command, for usage errors. */
export function commandUsage(name: CommandName): string {
  return COMMAND_HELP[name].usage;
}

/** `pqrpc CMD --help`. */
export function commandHelp(name: CommandName): string {
  const help = COMMAND_HELP[name];
  return `${help.usage}\n\n${help.summary}\n\n${help.details}\n`;
}

/** `pqrpc --help`. */
export function mainHelp(): string {
  const lines = Object.entries(COMMAND_HELP).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`);
  return (
    "usage: pqrpc <command> [options]\n\n" +
    `commands:\n${lines.join("\n")}\n\n` +
    "pqrpc <command> --help   options of one command\n" +
    "pqrpc --version          the installed version\n"
  );
}
