/**
 * `pqrpc probe ADDR [--ca FILE] [--servername NAME] [--policy NAME]
 *   [--alpn LIST|none] [--timeout MS] [--json]`
 *
 * Connects to any TLS 1.3 server (pqrpc or not) with our engine and reports
 * what was negotiated, the certificate chain, whether the server resumes a
 * session from its ticket, and the handshake time. Without --ca the chain is
 * shown but reported as NOT verified: the server proved it holds the leaf's
 * key (CertificateVerify), but nothing says who that key belongs to.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { ResumptionSession } from "../tls/index.ts";
import type { TlsSocket } from "../transport/tls-socket.ts";
import { formatAddress, parseAddress } from "./address.ts";
import {
  type CertificateSummary,
  certificateLines,
  summarizeCertificate,
  type UnparsedCertificate,
} from "./certificate-summary.ts";
import { CliError, type CliIo } from "./cli-error.ts";
import { CommandFailure, describeFailure } from "./describe-error.ts";
import { parseTimeout } from "./options.ts";
import { dial, resolveTlsTarget, type TlsTarget } from "./tls-dial.ts";
import { commandUsage } from "./usage.ts";

/** ALPN offered unless --alpn says otherwise: pqrpc's own framing first, then gRPC's HTTP/2. */
export const DEFAULT_PROBE_ALPN = ["pqrpc/1", "h2"];
/**
 * How long to wait after the handshake for a NewSessionTicket (RFC 8446
 * §4.6.1: sent any time after the handshake; OpenSSL and pqrpc send it at
 * once, so a server silent this long is taken not to issue tickets).
 */
export const TICKET_WAIT_MS = 1_000;

const PROBE_USAGE = commandUsage("probe");

export interface ProbeReport {
  readonly address: string;
  readonly serverName: string;
  readonly policy: string;
  readonly version: string;
  readonly group: string | null;
  readonly helloRetryRequest: boolean;
  readonly cipherSuite: string;
  readonly signatureScheme: string | null;
  readonly alpnOffered: readonly string[];
  readonly alpn: string | null;
  readonly tcpMs: number;
  readonly handshakeMs: number;
  readonly certificates: readonly (CertificateSummary | UnparsedCertificate)[];
  readonly chainBytes: number;
  readonly verification: {
    readonly verified: boolean;
    /** "verified" (against --ca) or "not-verified" (no --ca: the chain is only shown). */
    readonly status: "verified" | "not-verified";
    readonly detail: string;
    /** Whether the leaf's names cover serverName (checked in both cases). */
    readonly nameMatches: boolean | null;
  };
  readonly resumption: {
    readonly ticketReceived: boolean;
    readonly ticketLifetimeSeconds: number | null;
    readonly resumed: boolean;
    readonly handshakeMs: number | null;
    readonly error: string | null;
  };
}

export async function runProbe(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ca: { type: "string" },
      servername: { type: "string" },
      policy: { type: "string" },
      alpn: { type: "string" },
      timeout: { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new CliError(PROBE_USAGE);
  const address = parseAddress(positionals[0]!);
  const alpn = parseAlpn(values.alpn);
  const timeoutMs = parseTimeout(values.timeout);
  const target = await resolveTlsTarget(address, values, false);
  const report = await probe(target, alpn, timeoutMs);
  io.stdout(values.json ? `${JSON.stringify(report)}\n` : formatReport(report));
}

function parseAlpn(text: string | undefined): string[] {
  if (text === undefined) return DEFAULT_PROBE_ALPN;
  if (text === "none" || text === "") return [];
  const list = text.split(",").map((p) => p.trim());
  if (list.some((p) => p.length === 0)) throw new CliError(`bad --alpn "${text}" (a comma-separated list)`);
  return list;
}

/** Full handshake, then a resumption attempt with the first ticket. */
export async function probe(
  target: TlsTarget,
  alpn: readonly string[],
  timeoutMs?: number,
): Promise<ProbeReport> {
  const ctx = { address: formatAddress(target.address), policy: target.policy };
  let ticket: ResumptionSession | undefined;
  let ticketArrived: () => void = () => {};
  const ticketPromise = new Promise<void>((resolve) => {
    ticketArrived = resolve;
  });
  let first: Awaited<ReturnType<typeof dial>>;
  try {
    first = await dial(target, {
      alpn,
      timeoutMs,
      onSessionTicket: (t) => {
        ticket ??= t;
        ticketArrived();
      },
    });
  } catch (e) {
    throw new CommandFailure(describeFailure(e, ctx), { cause: e });
  }
  // Keep reading (and discarding) so the engine sees the ticket records.
  first.socket.on("error", () => {});
  first.socket.resume();
  await Promise.race([ticketPromise, sleep(TICKET_WAIT_MS)]);
  await closeQuietly(first.socket);

  const chain = target.verifier.chain;
  const verdict = target.verifier.verdict;
  const certificates = chain.map(summarizeCertificate);
  const info = first.info;

  let resumption: ProbeReport["resumption"] = {
    ticketReceived: false,
    ticketLifetimeSeconds: null,
    resumed: false,
    handshakeMs: null,
    error: null,
  };
  if (ticket) {
    resumption = { ...resumption, ticketReceived: true, ticketLifetimeSeconds: ticket.lifetimeSeconds };
    try {
      const again = await dial(target, { alpn, timeoutMs, session: ticket });
      again.socket.on("error", () => {});
      resumption = { ...resumption, resumed: again.info.resumed, handshakeMs: round(again.handshakeMs) };
      await closeQuietly(again.socket);
    } catch (e) {
      resumption = { ...resumption, error: describeFailure(e, ctx) };
    }
  }
  const anchor = verdict?.status === "verified" ? verdict.path[verdict.path.length - 1] : undefined;
  const anchorSummary = anchor ? summarizeCertificate(anchor) : undefined;
  return {
    address: ctx.address,
    serverName: target.serverName,
    policy: target.policy,
    version: info.version,
    group: info.group ?? null,
    helloRetryRequest: info.helloRetry,
    cipherSuite: info.cipherSuite,
    signatureScheme: info.signatureScheme ?? null,
    alpnOffered: alpn,
    alpn: info.alpn ?? null,
    tcpMs: round(first.tcpMs),
    handshakeMs: round(first.handshakeMs),
    certificates,
    chainBytes: chain.reduce((n, c) => n + c.length, 0),
    verification: {
      verified: verdict?.status === "verified",
      status: verdict?.status === "verified" ? "verified" : "not-verified",
      detail:
        verdict?.status === "verified"
          ? `chains to the --ca anchor "${anchorSummary && "subject" in anchorSummary ? anchorSummary.subject : "?"}"`
          : "NOT verified: no --ca given, the chain is shown as the server sent it (the server did prove it holds the leaf's private key)",
      nameMatches: target.verifier.nameMatches ?? null,
    },
    resumption,
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Sends close_notify and waits briefly for the socket to close; a failing peer is no probe error. */
async function closeQuietly(socket: TlsSocket): Promise<void> {
  const CLOSE_WAIT_MS = 500;
  await Promise.race([
    new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.end();
    }),
    sleep(CLOSE_WAIT_MS),
  ]);
  socket.destroy();
}

export function formatReport(r: ProbeReport): string {
  const yes = (b: boolean) => (b ? "yes" : "no");
  const lines = [
    `${r.address} (server name ${r.serverName}, policy ${r.policy})`,
    `  protocol        ${r.version}`,
    `  key exchange    ${r.group ?? "(none: PSK only)"}`,
    `  hello retry     ${yes(r.helloRetryRequest)}`,
    `  cipher suite    ${r.cipherSuite}`,
    `  signature       ${r.signatureScheme ?? "(none)"}`,
    `  alpn            ${r.alpn ?? "(none)"} (offered: ${r.alpnOffered.join(", ") || "none"})`,
    `  handshake       ${r.handshakeMs.toFixed(1)} ms (tcp connect ${r.tcpMs.toFixed(1)} ms)`,
    `  resumption      ${resumptionText(r.resumption)}`,
    `  certificate chain: ${r.certificates.length} certificate(s), ${r.chainBytes} bytes`,
    `    trust         ${r.verification.detail}`,
    `    server name   ${r.verification.nameMatches === null ? "(not checked)" : r.verification.nameMatches ? `matches ${r.serverName}` : `does NOT match ${r.serverName}`}`,
  ];
  r.certificates.forEach((c, i) => {
    for (const l of certificateLines(i, c)) lines.push(`    ${l}`);
  });
  return `${lines.join("\n")}\n`;
}

function resumptionText(r: ProbeReport["resumption"]): string {
  if (!r.ticketReceived) return `not offered (no session ticket within ${TICKET_WAIT_MS} ms)`;
  if (r.error) return `ticket received, resumption failed: ${r.error}`;
  if (r.resumed) return `supported (resumed with the ticket in ${r.handshakeMs?.toFixed(1)} ms)`;
  return "ticket received, but the server did a full handshake on reconnect";
}
