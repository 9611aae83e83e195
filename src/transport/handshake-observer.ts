/**
 * What the TLS adapter tells an observer about one connection (metrics,
 * traces and security events in src/observability implement it). It is
 * fed from what the adapter sees: the carrier's bytes while the handshake
 * runs, the NegotiatedInfo once verified, and the TlsError (the alert) or
 * transport error that ended the connection.
 *
 * When the TLS engine's own observer lands (typed handshake events from
 * src/tls: the offered and chosen parameters, policy refusals with their
 * reason, ticket decisions, per-message timings), it replaces the parsing
 * and classification that src/observability/client-hello-summary.ts and
 * refusal-reason.ts do from these bytes and errors; this interface stays
 * the adapter's side of it.
 */
import type { NegotiatedInfo } from "../tls/index.ts";

export interface HandshakeObserver {
  /** Carrier bytes while the handshake runs ("received" from the peer, "sent" to it). Must not keep `chunk`. */
  handshakeBytes(direction: "received" | "sent", chunk: Uint8Array): void;
  /** The handshake verified; application data may flow. */
  secure(info: NegotiatedInfo): void;
  /** The connection ended with `error`; `duringHandshake` when it never became secure. */
  failed(error: Error, duringHandshake: boolean): void;
  /** The connection is gone (after secure, failed, or a clean close). Called once. */
  closed(): void;
}
