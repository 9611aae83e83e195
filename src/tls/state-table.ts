/**
 * The handshake engines' transition tables as data (RFC 8446 §2, §4; the
 * figures at the top of client.ts and server.ts). Each row says: in state
 * `from`, a handshake message of type `message` may move the engine to one
 * of `to`; which one depends on the message's contents and the
 * configuration (a HelloRetryRequest is a server_hello, PSK skips the
 * certificate, client auth adds CertificateRequest). A message with no row
 * is an unexpected_message, and any row may also end in "failed" when the
 * message's contents are refused (the alert the check chose).
 *
 * The engines check every successful transition against these tables at run
 * time (`checkTransition`), so their tests fail if code and table disagree;
 * models/tls13.pml carries the same rows, compared by test/models.
 */
import { fatal } from "./alert.ts";
import { HandshakeType } from "./codec/types.ts";

export type HandshakeMessageName = keyof typeof HandshakeType;

export const CLIENT_STATES = [
  "wait-server-hello",
  "wait-encrypted-extensions",
  "wait-certificate-or-request",
  "wait-certificate",
  "wait-certificate-verify",
  "wait-finished",
  "connected",
  "failed",
] as const;
export type ClientStateKind = (typeof CLIENT_STATES)[number];

export const SERVER_STATES = [
  "wait-client-hello",
  "wait-client-hello-2",
  "wait-client-certificate",
  "wait-client-certificate-verify",
  "wait-client-finished",
  "connected",
  "failed",
] as const;
export type ServerStateKind = (typeof SERVER_STATES)[number];

export interface HandshakeTransition<S extends string> {
  readonly from: S;
  readonly message: HandshakeMessageName;
  readonly to: readonly S[];
}

export const CLIENT_TRANSITIONS: readonly HandshakeTransition<ClientStateKind>[] = [
  // §4.1.4: a HelloRetryRequest (once) keeps waiting for the ServerHello.
  {
    from: "wait-server-hello",
    message: "server_hello",
    to: ["wait-server-hello", "wait-encrypted-extensions"],
  },
  // §2.2: with a PSK the server authenticates by the Finished alone.
  {
    from: "wait-encrypted-extensions",
    message: "encrypted_extensions",
    to: ["wait-finished", "wait-certificate-or-request"],
  },
  { from: "wait-certificate-or-request", message: "certificate_request", to: ["wait-certificate"] },
  { from: "wait-certificate-or-request", message: "certificate", to: ["wait-certificate-verify"] },
  { from: "wait-certificate", message: "certificate", to: ["wait-certificate-verify"] },
  { from: "wait-certificate-verify", message: "certificate_verify", to: ["wait-finished"] },
  { from: "wait-finished", message: "finished", to: ["connected"] },
  // §4.6.1: tickets come any time after the handshake.
  { from: "connected", message: "new_session_ticket", to: ["connected"] },
];

export const SERVER_TRANSITIONS: readonly HandshakeTransition<ServerStateKind>[] = [
  // §4.1.4: no usable key share -> HelloRetryRequest; otherwise our flight, then the client's.
  {
    from: "wait-client-hello",
    message: "client_hello",
    to: ["wait-client-hello-2", "wait-client-finished", "wait-client-certificate"],
  },
  {
    from: "wait-client-hello-2",
    message: "client_hello",
    to: ["wait-client-finished", "wait-client-certificate"],
  },
  // §4.4.2.4: an empty client Certificate skips CertificateVerify (unless auth is required).
  {
    from: "wait-client-certificate",
    message: "certificate",
    to: ["wait-client-certificate-verify", "wait-client-finished"],
  },
  { from: "wait-client-certificate-verify", message: "certificate_verify", to: ["wait-client-finished"] },
  { from: "wait-client-finished", message: "finished", to: ["connected"] },
];

const MESSAGE_NAMES = new Map<number, HandshakeMessageName>(
  Object.entries(HandshakeType).map(([name, type]) => [type, name as HandshakeMessageName]),
);

const index = (table: readonly HandshakeTransition<string>[]) =>
  new Set(table.flatMap((r) => r.to.map((to) => `${r.from} ${r.message} ${to}`)));
const INDEXES = new Map<readonly HandshakeTransition<string>[], Set<string>>([
  [CLIENT_TRANSITIONS, index(CLIENT_TRANSITIONS)],
  [SERVER_TRANSITIONS, index(SERVER_TRANSITIONS)],
]);

/**
 * Throws internal_error unless `from --type--> to` is a row of `table`: the
 * engine did something its published table does not allow (a bug, never
 * the peer's fault; the peer's out-of-order messages are refused before).
 */
export function checkTransition<S extends string>(
  table: readonly HandshakeTransition<S>[],
  from: S,
  type: number,
  to: S,
): void {
  const rows = INDEXES.get(table) ?? index(table);
  const message = MESSAGE_NAMES.get(type) ?? `type ${type}`;
  if (!rows.has(`${from} ${message} ${to}`))
    throw fatal(
      "internal_error",
      `handshake transition ${from} --${message}--> ${to} is not in the state table`,
    );
}
