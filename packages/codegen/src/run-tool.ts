/** Runs one of the bundled tools (buf) under this Node, bounded in time and output. */
import { execFile } from "node:child_process";
import { GenerateError } from "./generate-error.ts";

/** Largest output (a FileDescriptorSet, or diagnostics) kept from a tool. */
export const MAX_TOOL_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface ToolRun {
  readonly cwd: string;
  readonly timeoutMs: number;
  /** Names the step in errors ("buf generate"). */
  readonly what: string;
}

/** Resolves with the tool's stdout and stderr; a non-zero exit rejects with its first diagnostic lines. */
export function runTool(args: readonly string[], run: ToolRun): Promise<{ stdout: Buffer; stderr: Buffer }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: run.cwd, timeout: run.timeoutMs, maxBuffer: MAX_TOOL_OUTPUT_BYTES, encoding: "buffer" },
      (error, stdout, stderr) => {
        if (error) {
          const why = error.killed
            ? `timed out after ${run.timeoutMs} ms`
            : (stderr.toString("utf8") || error.message).trim();
          reject(new GenerateError(`${run.what} failed: ${why}`));
        } else resolve({ stdout, stderr });
      },
    );
  });
}
