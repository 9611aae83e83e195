/**
 * TCP connect plus our TLS 1.3 client handshake, timed, for the network
 * commands (call, probe, bench). The TLS options shared by those commands
 * (--ca, --servername, --policy, --insecure) are parsed here too.
 */
import { connect as netConnect } from "node:net";
import { DEFAULT_CONNECT_TIMEOUT_MS } from "../client/limits.ts";
import { type NegotiatedInfo, POLICIES, type PolicyName, type ResumptionSession } from "../tls/index.ts";
import { tlsConnect } from "../transport/tls-connect.ts";
import type { TlsSocket } from "../transport/tls-socket.ts";
import { type Address, formatAddress } from "./address.ts";
import { CliError } from "./cli-error.ts";
import { loadClientCrypto } from "./client-crypto.ts";
import { CommandFailure } from "./describe-error.ts";
import { checkCryptoEnvironment, loadTrustFile } from "./load-files.ts";
import { RecordingVerifier } from "./recording-verifier.ts";

/** parseArgs options shared by the network commands. */
export const TLS_CLI_OPTIONS = {
  ca: { type: "string" },
  servername: { type: "string" },
  policy: { type: "string" },
  insecure: { type: "boolean", default: false },
} as const;

export interface TlsCliValues {
  ca?: string;
  servername?: string;
  policy?: string;
  insecure?: boolean;
}

export interface TlsTarget {
  readonly address: Address;
  readonly verifier: RecordingVerifier;
  readonly policy: PolicyName;
  /** SNI and the name the certificate must match; default the host of ADDR. */
  readonly serverName: string;
}

/**
 * Loads the crypto providers and the trust anchors. `requireTrust`: the
 * command exchanges application data, so it refuses to run unverified unless
 * the user said --insecure.
 */
export async function resolveTlsTarget(
  address: Address,
  values: TlsCliValues,
  requireTrust: boolean,
): Promise<TlsTarget> {
  const policy = (values.policy ?? "hybrid") as PolicyName;
  if (!Object.hasOwn(POLICIES, policy)) {
    throw new CliError(`unknown --policy "${values.policy}" (one of: ${Object.keys(POLICIES).join(", ")})`);
  }
  if (values.ca !== undefined && values.insecure)
    throw new CliError("--ca and --insecure exclude each other");
  if (requireTrust && values.ca === undefined && !values.insecure) {
    throw new CliError(
      "no --ca FILE given: pass the CA certificate that signed the server's (or --insecure)",
    );
  }
  checkCryptoEnvironment();
  await loadClientCrypto();
  const anchors = values.ca === undefined ? undefined : await loadTrustFile("--ca", values.ca);
  return {
    address,
    verifier: new RecordingVerifier(anchors),
    policy,
    serverName: values.servername ?? address.host,
  };
}

export interface DialOptions {
  readonly alpn: readonly string[];
  readonly session?: ResumptionSession;
  readonly onSessionTicket?: (s: ResumptionSession) => void;
  readonly timeoutMs?: number;
}

export interface Dialed {
  readonly socket: TlsSocket;
  readonly info: NegotiatedInfo;
  /** TCP connect time. */
  readonly tcpMs: number;
  /** From the TCP connection to the verified handshake. */
  readonly handshakeMs: number;
}

/** Connects and completes the handshake, or rejects (TCP error, TlsError, TransportError). */
export function dial(target: TlsTarget, options: DialOptions): Promise<Dialed> {
  const { host, port } = target.address;
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const tcp = netConnect({ host, port });
    const onAbort = () => {
      tcp.destroy();
      reject(new CommandFailure(`no connection to ${formatAddress(target.address)} within ${timeoutMs} ms`));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    tcp.once("error", (e) => {
      signal.removeEventListener("abort", onAbort);
      reject(e);
    });
    tcp.once("connect", () => {
      signal.removeEventListener("abort", onAbort);
      tcp.removeAllListeners("error");
      tcp.setNoDelay(true);
      const connected = performance.now();
      tlsConnect(tcp, {
        serverName: target.serverName,
        verifier: target.verifier,
        policy: target.policy,
        alpnProtocols: [...options.alpn],
        session: options.session,
        onSessionTicket: options.onSessionTicket,
        handshakeTimeoutMs: timeoutMs,
      }).then(
        (socket) =>
          resolve({
            socket,
            info: socket.info!,
            tcpMs: connected - start,
            handshakeMs: performance.now() - connected,
          }),
        reject,
      );
    });
  });
}
