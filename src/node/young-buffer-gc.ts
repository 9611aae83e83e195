/**
 * A workaround for Node 24's slow reclaiming of short-lived Buffers
 * (nodejs/node#61967, #63863): V8 13.6 raised the default of
 * --scavenger-max-new-space-capacity-mb from 8 to 32, which moved the point at
 * which young ArrayBuffer bytes start a cheap Scavenge (twice the semi-space)
 * above the fixed 64 MB external-memory soft limit that starts incremental
 * marking. A process that streams (every message, record and protobuf buffer
 * lives for microseconds) then reclaims them by Mark-Compact, many per second.
 * The old value restores Node 22's behaviour: measured with `npm run bench:rpc`
 * on Node 24, 64 KiB streaming over pqrpc/1 went from 146 to 348 MB/s and
 * grpc-js from 180 to 356 MB/s with the flag given to every process.
 *
 * The flag is process-wide, so the library never sets it on import: the
 * `pqrpc` command applies it to its own process, and an application opts in
 * by calling this once at startup (or by passing the flag to node itself).
 */

import { setFlagsFromString } from "node:v8";

/** The V8 flag and the value Node 22 and earlier ran with. */
export const YOUNG_BUFFER_GC_FLAG = "--scavenger-max-new-space-capacity-mb=8";
const FLAG_NAME = "--scavenger-max-new-space-capacity-mb";
/** The first Node major whose V8 (13.6) has the raised default. */
const FIRST_AFFECTED_NODE_MAJOR = 24;

export type YoungBufferGcResult =
  /** The flag was set now. */
  | "applied"
  /** The Node release predates the regression (Node 20, 22), whose V8 does not know the flag. */
  | "not-needed"
  /** The process already names the flag (node's command line or NODE_OPTIONS): left as given. */
  | "already-set";

/** What applyYoungBufferGcWorkaround does in a process of this Node `version`, `execArgv` and NODE_OPTIONS. */
export function youngBufferGcDecision(
  version: string,
  execArgv: readonly string[],
  nodeOptions: string,
): YoungBufferGcResult {
  const major = Number(version.replace(/^v/, "").split(".")[0]);
  if (!(major >= FIRST_AFFECTED_NODE_MAJOR)) return "not-needed";
  // V8 takes dashes or underscores in flag names.
  const named = (arg: string) => arg.replaceAll("_", "-").split("=")[0] === FLAG_NAME;
  if (execArgv.some(named) || nodeOptions.split(/\s+/).some(named)) return "already-set";
  return "applied";
}

/**
 * Sets YOUNG_BUFFER_GC_FLAG on Node 24 and later unless the process already
 * names that flag; safe to call more than once. Call it at startup, before
 * the application's servers and clients run: it changes when V8 collects,
 * never what it keeps.
 */
export function applyYoungBufferGcWorkaround(): YoungBufferGcResult {
  const decision = youngBufferGcDecision(
    process.versions.node,
    process.execArgv,
    process.env.NODE_OPTIONS ?? "",
  );
  if (decision === "applied") setFlagsFromString(YOUNG_BUFFER_GC_FLAG);
  return decision;
}
