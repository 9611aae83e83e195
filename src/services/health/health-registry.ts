/**
 * The serving status of each service, as grpc.health.v1.Health reports it
 * (gRPC doc/health-checking.md): "" is the whole server, other keys are
 * fully qualified service names; a name with no entry is unknown
 * (NOT_FOUND for Check, SERVICE_UNKNOWN for Watch).
 *
 * Watchers hold one slot with the latest status, not a queue: a watcher
 * that reads slowly skips intermediate flaps and gets the current status,
 * so memory per watcher is constant whatever the rate of changes (grpc-go's
 * health server does the same with a one-element channel).
 *
 * shutdown() is the graceful close: every status turns NOT_SERVING, later
 * setStatus calls are ignored, and every Watch stream delivers NOT_SERVING
 * and then ends, so load balancers drain the server and the close does not
 * wait for watch streams that would otherwise never end.
 */
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.ts";
import { DEFAULT_MAX_HEALTH_WATCHERS, MAX_HEALTH_SERVICE_NAME_CHARS } from "../limits.ts";

/** The statuses an application sets (SERVICE_UNKNOWN is what Watch says of a missing entry). */
export type ServingStatusName = "SERVING" | "NOT_SERVING" | "UNKNOWN";

const TO_ENUM: Record<ServingStatusName, ServingStatus> = {
  SERVING: ServingStatus.SERVING,
  NOT_SERVING: ServingStatus.NOT_SERVING,
  UNKNOWN: ServingStatus.UNKNOWN,
};
const TO_NAME = new Map<ServingStatus, ServingStatusName>(
  Object.entries(TO_ENUM).map(([name, value]) => [value, name as ServingStatusName]),
);

/** The key of the server's overall status. */
export const OVERALL_HEALTH = "";

export interface HealthRegistryOptions {
  /** Initial statuses; default { "": "SERVING" }, as grpc-go and grpc-java start. */
  readonly initial?: Readonly<Record<string, ServingStatusName>>;
  /** Watch streams open at once (default DEFAULT_MAX_HEALTH_WATCHERS). */
  readonly maxWatchers?: number;
}

/** Thrown by watch() when maxWatchers streams are already open. */
export class TooManyWatchersError extends Error {
  constructor(limit: number) {
    super(`more than ${limit} health watch streams are open`);
    this.name = "TooManyWatchersError";
  }
}

/** Checks a service name from the application (throws) or from a peer (the caller maps it to a status). */
export function isValidServiceName(name: string): boolean {
  return name.length <= MAX_HEALTH_SERVICE_NAME_CHARS;
}

/** One Watch stream's view: the latest status not yet taken, and whether the stream must end. */
export class StatusWatch {
  #pending: ServingStatus | undefined;
  #ended = false;
  #wake: (() => void) | undefined;
  readonly #release: () => void;

  constructor(initial: ServingStatus, release: () => void) {
    this.#pending = initial;
    this.#release = release;
  }

  /** Replaces any status not yet taken (latest wins). */
  offer(status: ServingStatus): void {
    this.#pending = status;
    this.#wake?.();
  }

  /** Stops following the service (idempotent; changes() does it when it returns). */
  close(): void {
    this.#release();
  }

  /** The stream ends after the pending status, if any, has been taken. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /**
   * Each status change, starting with the current status; consecutive
   * duplicates are dropped. Returns when ended or when `signal` aborts, and
   * unregisters the watch.
   */
  async *changes(signal: AbortSignal): AsyncGenerator<ServingStatus> {
    let last: ServingStatus | undefined;
    try {
      for (;;) {
        const next = this.#pending;
        if (next !== undefined) {
          this.#pending = undefined;
          if (next !== last) {
            last = next;
            yield next;
          }
          continue;
        }
        if (this.#ended || signal.aborted) return;
        await new Promise<void>((resolve) => {
          const wake = () => {
            this.#wake = undefined;
            signal.removeEventListener("abort", wake);
            resolve();
          };
          this.#wake = wake;
          signal.addEventListener("abort", wake, { once: true });
        });
      }
    } finally {
      this.close();
    }
  }
}

/** Serving statuses per service and the Watch streams that follow them. */
export class HealthRegistry {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #watchers = new Map<string, Set<StatusWatch>>();
  readonly #maxWatchers: number;
  #watcherCount = 0;
  #shutDown = false;

  constructor(options: HealthRegistryOptions = {}) {
    this.#maxWatchers = options.maxWatchers ?? DEFAULT_MAX_HEALTH_WATCHERS;
    const initial: Readonly<Record<string, ServingStatusName>> = options.initial ?? {
      [OVERALL_HEALTH]: "SERVING",
    };
    for (const [service, status] of Object.entries(initial)) this.setStatus(service, status);
  }

  /**
   * Sets a service's status ("" for the whole server) and tells its
   * watchers. Ignored after shutdown(): a closing server stays NOT_SERVING.
   */
  setStatus(service: string, status: ServingStatusName): void {
    checkName(service);
    const value = TO_ENUM[status];
    if (value === undefined) throw new TypeError(`unknown serving status "${String(status)}"`);
    if (this.#shutDown) return;
    this.#set(service, value);
  }

  /** Forgets a service: Check answers NOT_FOUND, watchers get SERVICE_UNKNOWN. */
  clearStatus(service: string): void {
    checkName(service);
    if (this.#shutDown || !this.#statuses.delete(service)) return;
    for (const w of this.#watchers.get(service) ?? []) w.offer(ServingStatus.SERVICE_UNKNOWN);
  }

  /** Sets `service` to SERVING unless it already has a status (a service registered on the server). */
  addService(service: string): void {
    checkName(service);
    if (!this.#shutDown && !this.#statuses.has(service)) this.#set(service, ServingStatus.SERVING);
  }

  /** The status of `service`, or undefined if it has none. */
  getStatus(service: string): ServingStatusName | undefined {
    const value = this.#statuses.get(service);
    return value === undefined ? undefined : TO_NAME.get(value);
  }

  /** Every service and its status, "" included. */
  statuses(): Map<string, ServingStatusName> {
    return new Map([...this.#statuses].map(([k, v]) => [k, TO_NAME.get(v)!]));
  }

  /** Number of services with a status. */
  get size(): number {
    return this.#statuses.size;
  }

  /** True once shutdown() ran. */
  get isShutDown(): boolean {
    return this.#shutDown;
  }

  /** The wire value of a service's status, for Check (undefined: unknown). */
  lookup(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  /**
   * Every status becomes NOT_SERVING and stays so; every watcher gets
   * NOT_SERVING and its stream ends. Idempotent.
   */
  shutdown(): void {
    if (this.#shutDown) return;
    for (const service of this.#statuses.keys()) this.#set(service, ServingStatus.NOT_SERVING);
    this.#shutDown = true;
    for (const set of this.#watchers.values()) for (const w of set) w.end();
  }

  /**
   * Starts following `service`: the watch holds its current status (or
   * SERVICE_UNKNOWN) and every later change. Throws TooManyWatchersError at
   * the limit. After shutdown the watch ends after its first status.
   */
  watch(service: string): StatusWatch {
    checkName(service);
    if (this.#watcherCount >= this.#maxWatchers) throw new TooManyWatchersError(this.#maxWatchers);
    let set = this.#watchers.get(service);
    if (set === undefined) {
      set = new Set();
      this.#watchers.set(service, set);
    }
    const watchers = set;
    let released = false;
    const watch = new StatusWatch(this.#statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN, () => {
      if (released) return;
      released = true;
      this.#watcherCount--;
      watchers.delete(watch);
      if (watchers.size === 0) this.#watchers.delete(service);
    });
    watchers.add(watch);
    this.#watcherCount++;
    if (this.#shutDown) watch.end();
    return watch;
  }

  /** Watch streams open now. */
  get watcherCount(): number {
    return this.#watcherCount;
  }

  #set(service: string, value: ServingStatus): void {
    this.#statuses.set(service, value);
    for (const w of this.#watchers.get(service) ?? []) w.offer(value);
  }
}

function checkName(service: string): void {
  if (typeof service !== "string") throw new TypeError("a service name is a string");
  if (!isValidServiceName(service)) {
    throw new RangeError(`service name of ${service.length} chars exceeds ${MAX_HEALTH_SERVICE_NAME_CHARS}`);
  }
}
