/**
 * Runs a document's code blocks as a user would follow them, so that the
 * README and the examples' READMEs cannot drift from what works. A block is
 * taken when an HTML comment right before it says what to do with it:
 *
 *   <!-- test:run -->                  a shell block, run in order (bash -e); `cd` carries over
 *   <!-- test:file PATH -->            the block is written to PATH (relative to the current directory)
 *   <!-- test:background REGEX -->     a shell block started in the background; the run waits until
 *                                      its output matches REGEX, and it is stopped (SIGINT) at the end
 *   <!-- test:output -->               a text block: the previous `run` block's exact stdout
 *
 * The packages come from tarballs: in `npm install` lines the names `pqrpc`
 * and `@pqrpc/codegen` are replaced by the packed files, and npm runs with
 * its cache preferred, no audit and no fund messages.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { Tarballs } from "./packed.ts";

export type DocStep =
  | { readonly kind: "run"; readonly script: string; readonly line: number }
  | { readonly kind: "file"; readonly path: string; readonly content: string; readonly line: number }
  | { readonly kind: "background"; readonly script: string; readonly ready: RegExp; readonly line: number }
  | { readonly kind: "output"; readonly expected: string; readonly line: number };

const MARKER = /^<!--\s*test:(run|file|background|output)(?:\s+(.*?))?\s*-->\s*$/;
const FENCE = /^```(\w*)\s*$/;

/** The marked blocks of a Markdown document, in order. */
export function parseDocSteps(markdown: string): DocStep[] {
  const lines = markdown.split("\n");
  const steps: DocStep[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = MARKER.exec(lines[i]!);
    if (m === null) continue;
    const kind = m[1] as DocStep["kind"];
    const arg = m[2] ?? "";
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() === "") j++;
    if (j >= lines.length || !FENCE.test(lines[j]!)) {
      throw new Error(`line ${i + 1}: test:${kind} is not followed by a code block`);
    }
    const body: string[] = [];
    let k = j + 1;
    for (; k < lines.length && !/^```\s*$/.test(lines[k]!); k++) body.push(lines[k]!);
    if (k >= lines.length) throw new Error(`line ${j + 1}: unterminated code block`);
    const text = `${body.join("\n")}\n`;
    const line = j + 1;
    switch (kind) {
      case "run":
        steps.push({ kind, script: text, line });
        break;
      case "file":
        if (arg === "") throw new Error(`line ${i + 1}: test:file needs a path`);
        steps.push({ kind, path: arg, content: text, line });
        break;
      case "background":
        if (arg === "") throw new Error(`line ${i + 1}: test:background needs a regular expression`);
        steps.push({ kind, script: text, ready: new RegExp(arg), line });
        break;
      case "output":
        steps.push({ kind, expected: text, line });
        break;
    }
    i = k;
  }
  return steps;
}

/** `npm install ... pqrpc ... @pqrpc/codegen` -> the tarballs. */
export function withTarballs(script: string, tarballs: Tarballs): string {
  return script
    .split("\n")
    .map((l) =>
      /^\s*npm (install|i)\b/.test(l)
        ? l
            .split(/(\s+)/)
            .map((w) => (w === "pqrpc" ? tarballs.pqrpc : w === "@pqrpc/codegen" ? tarballs.codegen : w))
            .join("")
        : l,
    )
    .join("\n");
}

const NPM_ENV = {
  npm_config_prefer_offline: "true",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_loglevel: "error",
  npm_config_update_notifier: "false",
};

export interface StepResult {
  readonly step: DocStep;
  readonly stdout: string;
}

/** Per-step time limit: installs, a first generate, a handshake. */
export const STEP_TIMEOUT_MS = 300_000;
/** How long a background step may take to print its ready line. */
export const BACKGROUND_READY_MS = 60_000;

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly cwd: string;
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  // The final `pwd` tells the next step where the script left off (a `cd` carries over, as in a terminal).
  const marker = "__PQRPC_DOC_CWD__";
  const child = spawn("bash", ["-e", "-o", "pipefail", "-c", `${script}\necho "${marker}$(pwd)"`], {
    cwd,
    env: { ...process.env, ...NPM_ENV, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolveRun) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), STEP_TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      const at = stdout.lastIndexOf(marker);
      const next = at >= 0 ? stdout.slice(at + marker.length).trim() : cwd;
      resolveRun({ code, stdout: at >= 0 ? stdout.slice(0, at) : stdout, stderr, cwd: next });
    });
  });
}

/**
 * Follows the steps from `startDir`; throws, naming the document line, at the
 * first step that fails or whose output differs. Background steps are stopped
 * before it returns.
 */
export async function followDoc(
  steps: readonly DocStep[],
  options: { startDir: string; tarballs: Tarballs; env?: NodeJS.ProcessEnv; name: string },
): Promise<StepResult[]> {
  let cwd = options.startDir;
  let last: StepResult | undefined;
  const results: StepResult[] = [];
  const background: ChildProcess[] = [];
  const env = options.env ?? {};
  try {
    for (const step of steps) {
      switch (step.kind) {
        case "file": {
          const path = isAbsolute(step.path) ? step.path : join(cwd, step.path);
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, step.content);
          break;
        }
        case "run": {
          const r = await bash(withTarballs(step.script, options.tarballs), cwd, env);
          if (r.code !== 0) {
            throw new Error(
              `${options.name}:${step.line}: the block exited ${r.code}\n--- script\n${step.script}--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
            );
          }
          cwd = resolve(r.cwd);
          last = { step, stdout: r.stdout };
          results.push(last);
          break;
        }
        case "background": {
          // Its own process group: the stop signal reaches the program under npx/tsx too.
          const child = spawn("bash", ["-e", "-c", `exec ${step.script.trim()}`], {
            cwd,
            env: { ...process.env, ...NPM_ENV, ...env },
            stdio: ["ignore", "pipe", "pipe"],
            detached: true,
          });
          background.push(child);
          let out = "";
          await new Promise<void>((ready, fail) => {
            const timer = setTimeout(
              () =>
                fail(
                  new Error(
                    `${options.name}:${step.line}: no line matching ${step.ready} within ${BACKGROUND_READY_MS} ms:\n${out}`,
                  ),
                ),
              BACKGROUND_READY_MS,
            );
            const onData = (c: Buffer) => {
              out += c.toString();
              if (step.ready.test(out)) {
                clearTimeout(timer);
                ready();
              }
            };
            child.stdout.on("data", onData);
            child.stderr.on("data", onData);
            child.on("exit", (code) => {
              clearTimeout(timer);
              fail(new Error(`${options.name}:${step.line}: the background block exited ${code}:\n${out}`));
            });
          });
          break;
        }
        case "output": {
          if (last === undefined)
            throw new Error(`${options.name}:${step.line}: output block before any run block`);
          if (last.stdout !== step.expected) {
            throw new Error(
              `${options.name}:${step.line}: the output differs from the document\n--- document\n${step.expected}--- actual\n${last.stdout}`,
            );
          }
          break;
        }
      }
    }
    return results;
  } finally {
    for (const child of background) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        const exited = new Promise<boolean>((r) => child.once("exit", () => r(true)));
        process.kill(-child.pid, "SIGINT");
        const stopped = await Promise.race([
          exited,
          new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
        ]);
        if (!stopped) process.kill(-child.pid, "SIGKILL");
      }
    }
  }
}
