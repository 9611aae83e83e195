/**
 * Structured security events and what the server does with them: one log
 * line each, a counter by kind, sliding-window detectors that raise an
 * "anomaly" event and metric over their threshold, and, optionally, a block
 * list the server consults on accept.
 *
 * Sources are IP addresses without the port (a port changes per connection).
 */
import type { Counter, Meter } from "@opentelemetry/api";
import { BlockList, type BlockListOptions } from "./block-list.ts";
import type { ClientHelloSummary } from "./client-hello-summary.ts";
import type { Logger } from "./logger.ts";
import {
  ATTR_SECURITY_DETECTOR,
  ATTR_SECURITY_EVENT,
  PQRPC_SECURITY_ANOMALIES,
  PQRPC_SECURITY_BLOCKED,
  PQRPC_SECURITY_EVENTS,
} from "./semconv.ts";
import { SlidingWindowCounter } from "./sliding-window.ts";

export type SecurityEventKind =
  /** A server refused (or lost) a handshake: reason, alert, peer, offer. */
  | "handshake_refused"
  /** A client offered only classical key exchange to a server whose policy requires PQ or hybrid. */
  | "downgrade_attempt"
  /** A PSK binder or a Finished that did not verify (forged or corrupted handshakes). */
  | "bad_binder"
  | "bad_finished"
  /** A connection closed by the server's reset-flood limit (many stream resets). */
  | "reset_flood"
  /** A connection closed because it stayed idle (handshake timeout or idle limit). */
  | "idle_connection"
  /** A connection closed or refused by a resource limit (receive budget, per-source or handshake cap). */
  | "resource_limit"
  /** A ticket that did not resume (unknown, expired, other server) or was offered again. */
  | "ticket_rejected"
  | "ticket_replayed"
  /** A connection refused on accept because its source is blocked. */
  | "blocked_connection"
  /** A detector crossed its threshold. */
  | "anomaly";

export interface SecurityEvent {
  readonly kind: SecurityEventKind;
  /** Epoch ms. */
  readonly time: number;
  /** "host:port" of the peer, when known. */
  readonly peer?: string;
  /** The peer's IP address (the key of detectors and the block list). */
  readonly source?: string;
  readonly reason?: string;
  /** The TLS alert sent or received, by name. */
  readonly alert?: string;
  readonly offered?: ClientHelloSummary;
  /** The policy in force. */
  readonly policy?: string;
  /** anomaly: which detector, how many events in its window, its threshold and window. */
  readonly detector?: string;
  readonly count?: number;
  readonly threshold?: number;
  readonly windowMs?: number;
  /** Whether the anomaly blocked its source. */
  readonly blocked?: boolean;
  readonly detail?: string;
}

export type SecurityEventInput = Omit<SecurityEvent, "time" | "source">;

export interface DetectorConfig {
  /** A name for events and the metric, e.g. "refused-handshakes". */
  readonly name: string;
  /** The event kinds it counts. */
  readonly kinds: readonly SecurityEventKind[];
  /** "source": per peer address (and it may block that source); "global": all sources together. */
  readonly scope: "source" | "global";
  readonly threshold: number;
  readonly windowMs: number;
  /** Block the source when this detector fires (needs a block list; scope "source"). */
  readonly block?: boolean;
}

const MINUTE_MS = 60_000;
/** Sources a per-source detector tracks at once; the least recently seen is forgotten beyond it. */
export const MAX_TRACKED_SOURCES = 10_000;
/** PSK identity fingerprints remembered for replay detection, and for how long (a ticket's lifetime bound, RFC 8446 §4.6.1, is 7 days; an hour of memory catches bursts). */
export const MAX_REMEMBERED_TICKETS = 50_000;
export const TICKET_REPLAY_WINDOW_MS = 60 * MINUTE_MS;

/**
 * The detectors a server gets unless configured. Thresholds are events in
 * the window that no well-behaved client reaches: a pqrpc client reconnects
 * with backoff and never reuses a ticket, so a source that fails 20
 * handshakes a minute, or forges 5 binders, is not one.
 */
export const DEFAULT_DETECTORS: readonly DetectorConfig[] = [
  {
    name: "refused-handshakes",
    kinds: ["handshake_refused"],
    scope: "source",
    threshold: 20,
    windowMs: MINUTE_MS,
    block: true,
  },
  {
    name: "downgrade-attempts",
    kinds: ["downgrade_attempt"],
    scope: "source",
    threshold: 10,
    windowMs: MINUTE_MS,
    block: true,
  },
  {
    name: "bad-finished-or-binder",
    kinds: ["bad_finished", "bad_binder"],
    scope: "source",
    threshold: 5,
    windowMs: MINUTE_MS,
    block: true,
  },
  {
    name: "bad-finished-or-binder-all",
    kinds: ["bad_finished", "bad_binder"],
    scope: "global",
    threshold: 50,
    windowMs: MINUTE_MS,
  },
  {
    name: "reset-floods",
    kinds: ["reset_flood"],
    scope: "source",
    threshold: 3,
    windowMs: MINUTE_MS,
    block: true,
  },
  {
    name: "idle-connections",
    kinds: ["idle_connection"],
    scope: "source",
    threshold: 20,
    windowMs: MINUTE_MS,
    block: true,
  },
  {
    name: "idle-connections-all",
    kinds: ["idle_connection"],
    scope: "global",
    threshold: 200,
    windowMs: MINUTE_MS,
  },
  {
    // Evicted by the receive budget again and again: a client that keeps sending unfinished large messages.
    name: "resource-limits",
    kinds: ["resource_limit"],
    scope: "source",
    threshold: 10,
    windowMs: MINUTE_MS,
    block: true,
  },
  {
    name: "ticket-misuse",
    kinds: ["ticket_rejected", "ticket_replayed"],
    scope: "source",
    threshold: 10,
    windowMs: MINUTE_MS,
    block: true,
  },
];

export interface SecurityMonitorOptions {
  /** Where events are logged (one line each); default none. */
  readonly logger?: Logger;
  /** Counters pqrpc.security.*; default none. */
  readonly meter?: Meter;
  /** Sees every event, anomalies included. */
  readonly onEvent?: (event: SecurityEvent) => void;
  /** Default DEFAULT_DETECTORS; [] for none. */
  readonly detectors?: readonly DetectorConfig[];
  /** A block list the server consults on accept (sources are blocked by detectors with `block`). Default none. */
  readonly blockList?: boolean | BlockListOptions;
  /** Epoch ms (default Date.now): detectors, the block list and event times. */
  readonly now?: () => number;
}

/** The IP address of "host:port" / "[v6]:port" (or the string itself). */
export function sourceOf(peer: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(peer);
  if (v6) return v6[1]!;
  const v4 = /^([^:]+):\d+$/.exec(peer);
  return v4 ? v4[1]! : peer;
}

const LOG_MESSAGES: Readonly<Record<SecurityEventKind, string>> = {
  handshake_refused: "handshake refused",
  downgrade_attempt: "downgrade attempt: classical-only offer",
  bad_binder: "PSK binder does not verify",
  bad_finished: "Finished does not verify",
  reset_flood: "connection closed: stream reset flood",
  idle_connection: "connection closed: idle",
  resource_limit: "connection closed: resource limit",
  ticket_rejected: "session ticket not accepted",
  ticket_replayed: "session ticket offered again",
  blocked_connection: "connection refused: source is blocked",
  anomaly: "security anomaly",
};

interface Detector {
  readonly config: DetectorConfig;
  readonly window: SlidingWindowCounter;
}

export class SecurityMonitor {
  readonly blockList: BlockList | undefined;
  private readonly now: () => number;
  private readonly detectors: Detector[];
  private readonly seenTickets = new Map<string, number>();
  private readonly events: Counter | undefined;
  private readonly anomalies: Counter | undefined;
  private readonly blocked: Counter | undefined;

  constructor(private readonly options: SecurityMonitorOptions = {}) {
    this.now = options.now ?? Date.now;
    const bl = options.blockList;
    this.blockList =
      bl === undefined || bl === false
        ? undefined
        : new BlockList({ now: this.now, ...(bl === true ? {} : bl) });
    this.detectors = (options.detectors ?? DEFAULT_DETECTORS).map((config) => ({
      config,
      window: new SlidingWindowCounter({
        windowMs: config.windowMs,
        threshold: config.threshold,
        maxKeys: config.scope === "global" ? 1 : MAX_TRACKED_SOURCES,
      }),
    }));
    const m = options.meter;
    this.events = m?.createCounter(PQRPC_SECURITY_EVENTS, {
      description: "Security events by kind",
      unit: "{event}",
    });
    this.anomalies = m?.createCounter(PQRPC_SECURITY_ANOMALIES, {
      description: "Detector thresholds crossed, by detector",
      unit: "{anomaly}",
    });
    this.blocked = m?.createCounter(PQRPC_SECURITY_BLOCKED, {
      description: "Connections refused on accept because their source is blocked",
      unit: "{connection}",
    });
  }

  /** Records one event: log line, counter, detectors (which may raise an anomaly and block the source). */
  report(input: SecurityEventInput): SecurityEvent {
    const event: SecurityEvent = {
      ...input,
      time: this.now(),
      ...(input.peer === undefined ? {} : { source: sourceOf(input.peer) }),
    };
    this.publish(event);
    if (event.kind !== "anomaly") this.detect(event);
    return event;
  }

  /** The server asks this on accept; a blocked source is reported and should be closed at once. */
  refuseOnAccept(peer: string): boolean {
    if (this.blockList === undefined) return false;
    const entry = this.blockList.lookup(sourceOf(peer));
    if (entry === undefined) return false;
    this.blocked?.add(1);
    this.report({ kind: "blocked_connection", peer, reason: entry.reason });
    return true;
  }

  /**
   * Notes a ticket (its fingerprint) offered by `peer`; reports a replay when
   * the same ticket was offered before within TICKET_REPLAY_WINDOW_MS
   * (pqrpc and other careful clients use each ticket once, RFC 8446 §C.4).
   */
  ticketOffered(fingerprint: string, peer: string | undefined, resumed: boolean): void {
    const now = this.now();
    const seen = this.seenTickets.get(fingerprint);
    if (seen !== undefined && now - seen < TICKET_REPLAY_WINDOW_MS) {
      this.report({
        kind: "ticket_replayed",
        ...(peer === undefined ? {} : { peer }),
        detail: `ticket ${fingerprint}`,
        reason: resumed ? "resumed" : "refused",
      });
    } else if (!resumed) {
      this.report({
        kind: "ticket_rejected",
        ...(peer === undefined ? {} : { peer }),
        detail: `ticket ${fingerprint}`,
      });
    }
    this.seenTickets.delete(fingerprint);
    if (this.seenTickets.size >= MAX_REMEMBERED_TICKETS) {
      this.seenTickets.delete(this.seenTickets.keys().next().value as string);
    }
    this.seenTickets.set(fingerprint, now);
  }

  private publish(event: SecurityEvent): void {
    this.events?.add(1, { [ATTR_SECURITY_EVENT]: event.kind });
    const { kind, time: _time, ...fields } = event;
    // Every event is worth an operator's attention, none is an error of ours: warn.
    this.options.logger?.warn(LOG_MESSAGES[kind], { event: kind, ...fields });
    try {
      this.options.onEvent?.(event);
    } catch {
      // An observer's failure must not break connection handling.
    }
  }

  private detect(event: SecurityEvent): void {
    for (const d of this.detectors) {
      if (!d.config.kinds.includes(event.kind)) continue;
      const key = d.config.scope === "global" ? "*" : event.source;
      if (key === undefined) continue;
      const count = d.window.hit(key, event.time);
      if (count === undefined) continue;
      this.anomalies?.add(1, { [ATTR_SECURITY_DETECTOR]: d.config.name });
      const block = d.config.block === true && d.config.scope === "source" && this.blockList !== undefined;
      if (block) this.blockList!.block(key, d.config.name);
      this.publish({
        kind: "anomaly",
        time: event.time,
        detector: d.config.name,
        count,
        threshold: d.config.threshold,
        windowMs: d.config.windowMs,
        blocked: block,
        ...(event.peer === undefined || d.config.scope === "global" ? {} : { peer: event.peer, source: key }),
      });
    }
  }
}
