/**
 * Coverage feedback from V8's precise block coverage (the inspector's
 * Profiler domain), for runtimes where jazzer.js's native libFuzzer addon
 * does not load. A feature is one source block of src/ that ran; taking
 * coverage resets V8's counters, so each take reports the blocks run since
 * the previous one.
 */
import { Session } from "node:inspector/promises";

/** Only the project's own code guides the search (not node_modules, not the harness). */
const SOURCE_PATH = "/src/";

export class BlockCoverage {
  private readonly session = new Session();
  /** Every block seen in a loaded src/ module, run or not (the denominator of the report). */
  private readonly known = new Set<string>();
  /** Blocks that ran at least once in this run. */
  readonly covered = new Set<string>();

  async start(): Promise<void> {
    this.session.connect();
    await this.session.post("Profiler.enable");
    await this.session.post("Profiler.startPreciseCoverage", { callCount: true, detailed: true });
  }

  /** The blocks run since the last take (V8 resets its counters on each take). */
  async take(): Promise<Set<string>> {
    const { result } = await this.session.post("Profiler.takePreciseCoverage");
    const ran = new Set<string>();
    for (const script of result) {
      if (!script.url.includes(SOURCE_PATH) || script.url.includes("/node_modules/")) continue;
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          const key = `${script.url}:${range.startOffset}:${range.endOffset}`;
          this.known.add(key);
          if (range.count > 0) ran.add(key);
        }
      }
    }
    return ran;
  }

  /** How many of `blocks` no earlier input ran. */
  novel(blocks: ReadonlySet<string>): number {
    let n = 0;
    for (const b of blocks) if (!this.covered.has(b)) n++;
    return n;
  }

  commit(blocks: ReadonlySet<string>): void {
    for (const b of blocks) this.covered.add(b);
  }

  get knownBlocks(): number {
    return this.known.size;
  }

  stop(): void {
    this.session.disconnect();
  }
}
