/**
 * Graceful close of a set of protocol sessions, the same on a channel and on
 * a server (both protocols): each session is asked to close (GOAWAY: calls
 * in flight finish, no new ones start); whatever is still open when the
 * grace period ends is destroyed (its calls fail). gRPC servers shut down
 * the same way (grpc-go GracefulStop, then Stop).
 */

/** What a connection's protocol session offers for shutting it down. */
export interface ClosableSession {
  /** Resolves when the connection has ended, however it ended. */
  readonly closed: Promise<void>;
  /** Graceful: no new calls; the connection ends once the calls in flight finish. */
  close(): unknown;
  /** Ends now: calls in flight fail. */
  destroy(): void;
}

export interface GracefulCloseOptions {
  /** What "closed" means, when it is more than the sessions (a server's sockets); default: every session closed. */
  readonly until?: Promise<void>;
  /** Runs when the grace period ran out, after the sessions were destroyed (a server destroys its sockets). */
  readonly onGraceOver?: () => void;
}

/** Closes `sessions` with `graceMs` for calls in flight; resolves once closed, saying whether the grace ran out. */
export async function closeGracefully(
  sessions: readonly ClosableSession[],
  graceMs: number,
  options: GracefulCloseOptions = {},
): Promise<{ graceOver: boolean }> {
  const done = options.until ?? Promise.all(sessions.map((s) => s.closed)).then(() => {});
  for (const s of sessions) void Promise.resolve(s.close()).catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const graceOver = new Promise<"grace-over">((resolve) => {
    timer = setTimeout(() => resolve("grace-over"), graceMs);
  });
  const outcome = await Promise.race([done.then(() => "closed" as const), graceOver]);
  clearTimeout(timer);
  if (outcome === "closed") return { graceOver: false };
  for (const s of sessions) s.destroy();
  options.onGraceOver?.();
  await done;
  return { graceOver: true };
}
