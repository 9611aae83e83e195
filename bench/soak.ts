/**
 * npm run bench:soak — issue 9's soak: mixed calls (all four kinds, both
 * protocols), reconnects and hostile clients against a server process for
 * PQRPC_SOAK_SECONDS (default 600); prints a progress line per sample, then
 * a table of heap, RSS, handles, calls, sessions and buffered request bytes
 * with their least-squares slope per minute, and writes the full report as
 * JSON to PQRPC_SOAK_JSON (default: stdout after the table).
 *
 * Environment:
 *   PQRPC_SOAK_SECONDS    duration (default 600)
 *   PQRPC_SOAK_SAMPLE_MS  between samples (default 10000)
 *   PQRPC_SOAK_JSON       write the report here instead of stdout
 */
import { writeFile } from "node:fs/promises";
import { formatSoak, runSoak } from "./soak/run-soak.ts";

const DEFAULT_SECONDS = 600;
const DEFAULT_SAMPLE_MS = 10_000;

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0)
    throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return v;
}

const seconds = positive("PQRPC_SOAK_SECONDS", DEFAULT_SECONDS);
const sampleMs = positive("PQRPC_SOAK_SAMPLE_MS", Math.min(DEFAULT_SAMPLE_MS, (seconds * 1000) / 10));
const report = await runSoak({ seconds, sampleMs, log: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(`${formatSoak(report)}\n`);
const json = JSON.stringify(report, null, 2);
const out = process.env.PQRPC_SOAK_JSON;
if (out) await writeFile(out, `${json}\n`);
else process.stdout.write(`${json}\n`);
