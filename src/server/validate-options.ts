/**
 * Checks what createServer and close() are given, up front: a bad option is
 * a ServerError("bad-options") naming it, not a server that misbehaves later
 * (a timeout of NaN fires at once, a zero connection limit refuses everyone).
 */
import { MAX_TIMER_DELAY_MS } from "../rpc/call-signal.ts";
import { ServerError } from "./errors.ts";
import type { ServerOptions, ServerProtocol } from "./server-options.ts";

const PROTOCOLS: readonly ServerProtocol[] = ["h2", "pqrpc/1"];
const CLIENT_AUTH = ["none", "request", "require"] as const;
/** An absolute path of printable ASCII, no query or fragment (RFC 3986 §3.3). */
const WEBSOCKET_PATH_RE = /^\/[!$&-;=@-~]*$/;

function bad(message: string): never {
  throw new ServerError("bad-options", message);
}

/** A whole number of ms a timer can wait (setTimeout fires at once past 2^31 - 1). */
function isDelay(ms: unknown, min: number): boolean {
  return Number.isInteger(ms) && (ms as number) >= min && (ms as number) <= MAX_TIMER_DELAY_MS;
}

/** At least one identity, none missing (createServer and setIdentity). */
export function validateIdentity(identity: ServerOptions["identity"]): void {
  const identities = Array.isArray(identity) ? identity : [identity];
  if (identities.length === 0 || identities.some((i) => i === undefined || i === null)) {
    bad("identity: a certificate chain and its private key (or several) are required");
  }
}

export function validateServerOptions(o: ServerOptions): void {
  validateIdentity(o.identity);
  if (o.maxConnections !== undefined && !(Number.isInteger(o.maxConnections) && o.maxConnections >= 1)) {
    bad(`maxConnections must be an integer >= 1, got ${o.maxConnections}`);
  }
  if (o.handshakeTimeoutMs !== undefined && !isDelay(o.handshakeTimeoutMs, 1)) {
    bad(`handshakeTimeoutMs must be an integer from 1 to ${MAX_TIMER_DELAY_MS}, got ${o.handshakeTimeoutMs}`);
  }
  if (o.alpn !== undefined) {
    if (o.alpn.length === 0) bad("alpn: at least one protocol");
    for (const p of o.alpn) if (!PROTOCOLS.includes(p)) bad(`alpn: unknown protocol ${JSON.stringify(p)}`);
    if (new Set(o.alpn).size !== o.alpn.length) bad(`alpn: ${o.alpn.join(",")} names a protocol twice`);
  }
  if (
    typeof o.webSocket === "object" &&
    o.webSocket.path !== undefined &&
    !WEBSOCKET_PATH_RE.test(o.webSocket.path)
  ) {
    bad(`webSocket.path must be an absolute path such as "/pqrpc", got ${JSON.stringify(o.webSocket.path)}`);
  }
  const clientAuth = o.clientAuth ?? "none";
  if (!CLIENT_AUTH.includes(clientAuth)) bad(`clientAuth must be one of ${CLIENT_AUTH.join(", ")}`);
  if (clientAuth !== "none" && o.trust === undefined) {
    bad(`clientAuth "${clientAuth}" needs trust: the verifier of client certificates`);
  }
}

/** Checks the grace period of close(). */
export function validateGraceMs(graceMs: number): void {
  if (!isDelay(graceMs, 0)) bad(`graceMs must be an integer from 0 to ${MAX_TIMER_DELAY_MS}, got ${graceMs}`);
}
