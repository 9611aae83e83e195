/** What the hostile server process (hostile-server.ts) reports on request. */
import type { ServerStats } from "../../src/server/index.ts";

export interface HostileStats {
  readonly server: ServerStats;
  /** Greeter handlers running now, the most that ran at once, and how many returned. */
  readonly runningHandlers: number;
  readonly peakHandlers: number;
  readonly completedHandlers: number;
  /** lotsOfGreetings calls held by `x-hold: 1`. */
  readonly heldHandlers: number;
  /** Security events by "kind:reason". */
  readonly events: Readonly<Record<string, number>>;
  /** process.memoryUsage() after a full GC, and the active libuv handles and requests. */
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly handles: number;
}

/** The SayHello name whose reply is the caller's identity as the handler sees it (PeerIdentity JSON). */
export const WHOAMI = "whoami";

/** What a "whoami" SayHello answers: ctx.peer.tls as the handler sees it. */
export interface PeerIdentity {
  readonly resumed: boolean | null;
  readonly alpn: string | null;
  /** SHA-256 (hex) of each certificate of the client's chain, leaf first; empty for an anonymous client. */
  readonly certificates: readonly string[];
}
