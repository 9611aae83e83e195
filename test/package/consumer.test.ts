/**
 * pqrpc judged as installed (issue 7's acceptance): the packed tarballs in a
 * new project with no tsx and no TypeScript of the repository's.
 *
 * - plain ESM JavaScript with a service from `pqrpc generate --target js+dts`,
 *   run by plain node on this machine's Node and on Node 24: certificates,
 *   server, a unary and a bidi call over X25519MLKEM768 + ML-DSA-65, exit 0;
 *   the same through require();
 * - the same consumer in TypeScript, compiled by tsc with `tsc --init`'s
 *   defaults, `@types/node@20` and skipLibCheck off: zero errors, and its
 *   output runs;
 * - `attw` on the tarball; the tarball holds no test, bench, tool or CI file;
 * - esbuild bundles `pqrpc/web` for the browser from the installed package
 *   with no aliases or shims (its gzipped size is printed);
 * - without @pqrpc/codegen, `pqrpc generate` says how to install it.
 *
 * Runs once, in the pass on this machine's Node (20), and runs the consumer
 * scripts on both Nodes from there.
 */
import assert from "node:assert/strict";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  createProject,
  installDev,
  mustRun,
  packTarballs,
  REPO_ROOT,
  removeAll,
  repoVersion,
  run,
  type Tarballs,
} from "./packed.ts";

const FIXTURE = join(REPO_ROOT, "test/package/consumer");
const isFirstPass = process.versions.node.split(".")[0] === "20";
const node24 = process.env["PQRPC_NODE24"];

/** What each consumer script prints when its calls worked. */
const EXPECTED = {
  unary: "hello ada",
  bidi: ["echo ada", "echo grace"],
  group: "X25519MLKEM768",
  signatureScheme: "ml-dsa-65",
  alpn: "pqrpc/1",
  youngBufferGc: true,
};

function parseReport(stdout: string): unknown {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line);
}

/** Paths inside a tarball (npm pack's tar.gz), from its headers: 512-byte blocks, name in the first 100 bytes. */
async function tarballPaths(file: string): Promise<string[]> {
  const tar = gunzipSync(await readFile(file));
  const paths: string[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const text = (from: number, len: number) =>
      header
        .subarray(from, from + len)
        .toString("utf8")
        .replace(/\0.*$/s, "");
    const prefix = text(345, 155);
    const name = text(0, 100);
    const size = Number.parseInt(text(124, 12).trim() || "0", 8);
    paths.push(prefix ? `${prefix}/${name}` : name);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return paths;
}

describe("the installed package", { skip: isFirstPass ? false : "runs once, in the Node 20 pass" }, () => {
  let tarballs: Tarballs;
  let project: string;

  before(async () => {
    tarballs = await packTarballs();
    // What a JavaScript user installs: the library, protobuf's runtime, and the generator as a dev tool.
    project = await createProject(
      "pqrpc-consumer-",
      [tarballs.pqrpc, `@bufbuild/protobuf@${await repoVersion("@bufbuild/protobuf")}`],
      [tarballs.codegen],
    );
    await cp(FIXTURE, project, { recursive: true });
    await mustRun(
      join(project, "node_modules/.bin/pqrpc"),
      ["generate", "--target", "js+dts", "--out", "gen", "proto"],
      { cwd: project },
    );
  });
  after(async () => {
    await removeAll(tarballs?.dir, project);
  });

  it("has no tsx or TypeScript of its own and the generated code is plain JavaScript", async () => {
    const lock = JSON.parse(await readFile(join(project, "package-lock.json"), "utf8")) as {
      packages: Record<string, unknown>;
    };
    // The generator (a dev dependency) brings buf and protoplugin's TypeScript; the library brings neither.
    assert.ok(!Object.keys(lock.packages).includes("node_modules/tsx"), "tsx is not installed");
    const pqrpcMeta = JSON.parse(
      await readFile(join(project, "node_modules/pqrpc/package.json"), "utf8"),
    ) as {
      dependencies: Record<string, string>;
    };
    for (const tool of [
      "tsx",
      "typescript",
      "@bufbuild/buf",
      "@bufbuild/protoc-gen-es",
      "@bufbuild/protoplugin",
    ]) {
      assert.ok(!(tool in pqrpcMeta.dependencies), `${tool} is not a runtime dependency of pqrpc`);
    }
    const js = await readFile(join(project, "gen/greeter/v1/greeter_pqrpc.js"), "utf8");
    assert.match(js, /from "pqrpc"/);
  });

  it("plain ESM JavaScript serves and calls on this machine's Node", async () => {
    const r = await mustRun(process.execPath, ["main.mjs"], { cwd: project });
    assert.deepEqual(parseReport(r.stdout), EXPECTED);
  });

  it("plain ESM JavaScript serves and calls on Node 24", {
    skip: node24 ? false : "PQRPC_NODE24 not set",
  }, async () => {
    const r = await mustRun(node24!, ["main.mjs"], { cwd: project });
    assert.deepEqual(parseReport(r.stdout), EXPECTED);
  });

  it("require('pqrpc') works (CommonJS consumer)", async () => {
    const r = await mustRun(process.execPath, ["main.cjs"], { cwd: project });
    assert.deepEqual(parseReport(r.stdout), EXPECTED);
  });

  it("TypeScript with tsc --init defaults, @types/node@20 and skipLibCheck off: zero errors, and it runs", async () => {
    await installDev(project, `typescript@${await repoVersion("typescript")}`, "@types/node@20");
    const tsc = join(project, "node_modules/.bin/tsc");
    await mustRun(tsc, ["--init"], { cwd: project });
    const init = await readFile(join(project, "tsconfig.json"), "utf8");
    // tsc --init's own defaults (including its `"types": []`: pqrpc's Node entry references
    // Node's types itself) with library checking on; nothing else changed.
    assert.match(init, /"exactOptionalPropertyTypes": true/);
    assert.match(init, /"strict": true/);
    assert.match(init, /"module": "nodenext"/);
    const config = init.replace(/"skipLibCheck": true/, '"skipLibCheck": false');
    assert.notEqual(config, init);
    await writeFile(join(project, "tsconfig.json"), config);
    const compiled = await run(tsc, ["-p", "."], { cwd: project, timeoutMs: 300_000 });
    assert.equal(compiled.code, 0, `tsc reported errors:\n${compiled.stdout}${compiled.stderr}`);
    const r = await mustRun(process.execPath, ["main.js"], { cwd: project });
    assert.deepEqual(parseReport(r.stdout), EXPECTED);
  });

  it("attw finds no problem with the tarball's types", async () => {
    // `--profile node16` leaves out node10 resolution (no `exports` support): pqrpc needs
    // Node >= 20.19, whose resolution and TypeScript's node16/nodenext/bundler modes all read
    // `exports`. CommonJS consumers load the ESM build through require(esm) (Node >= 20.19,
    // TypeScript >= 5.8 in nodenext), which attw reports as `cjs-resolves-to-esm`; the
    // require() case above runs that path for real.
    const attw = join(REPO_ROOT, "node_modules/.bin/attw");
    const r = await run(
      attw,
      [
        tarballs.pqrpc,
        "--profile",
        "node16",
        "--ignore-rules",
        "cjs-resolves-to-esm",
        "--format",
        "table-flipped",
      ],
      { cwd: REPO_ROOT },
    );
    assert.equal(r.code, 0, `attw:\n${r.stdout}\n${r.stderr}`);
  });

  it("the tarball holds the library and its docs, no test, bench, tool or CI file", async () => {
    for (const [name, file] of [
      ["pqrpc", tarballs.pqrpc],
      ["@pqrpc/codegen", tarballs.codegen],
    ] as const) {
      const paths = (await tarballPaths(file)).map((p) => p.replace(/^package\//, ""));
      const bad = paths.filter(
        (p) =>
          /(^|\/)(test|tests|bench|tools|\.ci|scripts|examples)\//.test(p) ||
          /\.test\.(ts|js|d\.ts)$/.test(p) ||
          /test-helpers\.|testdata\/|test-rpc-server|test-providers/.test(p),
      );
      assert.deepEqual(bad, [], `${name} ships files users do not need`);
      assert.ok(paths.includes("package.json"));
      assert.ok(
        paths.some((p) => p.startsWith("dist/") && p.endsWith(".d.ts")),
        `${name} ships declarations`,
      );
    }
  });

  it("esbuild bundles pqrpc/web for the browser from the installed package, no aliases or shims", async () => {
    await installDev(project, `esbuild@${await repoVersion("esbuild")}`);
    const out = join(project, "web-out");
    const r = await run(
      join(project, "node_modules/.bin/esbuild"),
      [
        "web.mjs",
        "--bundle",
        "--platform=browser",
        "--format=esm",
        "--splitting",
        `--outdir=${out}`,
        "--minify",
      ],
      { cwd: project },
    );
    assert.equal(r.code, 0, `esbuild:\n${r.stdout}\n${r.stderr}`);
    const entry = await readFile(join(out, "web.js"));
    assert.doesNotMatch(entry.toString("utf8"), /from\s*["']node:/, "no static Node import");
    const gz = gzipSync(entry, { level: 9 }).length;
    console.log(
      `pqrpc/web bundled by a consumer: ${entry.length} bytes minified, ${gz} bytes gzipped (entry)`,
    );
  });

  it("pqrpc alone installs no build tool, and pqrpc generate names the package to install", async () => {
    const bare = await createProject("pqrpc-bare-", [tarballs.pqrpc]);
    try {
      await cp(join(FIXTURE, "proto"), join(bare, "proto"), { recursive: true });
      const r = await run(join(bare, "node_modules/.bin/pqrpc"), ["generate", "proto"], { cwd: bare });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /npm install --save-dev @pqrpc\/codegen/);
      const help = await mustRun(join(bare, "node_modules/.bin/pqrpc"), ["--version"], { cwd: bare });
      assert.match(help.stdout, /^pqrpc \d+\.\d+\.\d+/);
      // The fleet commands run from the installed CLI: a ticket key file and an enrollment token.
      const bin = join(bare, "node_modules/.bin/pqrpc");
      await mustRun(bin, ["tickets", "init", "tickets.json"], { cwd: bare });
      const rotated = await mustRun(bin, ["tickets", "rotate", "tickets.json"], { cwd: bare });
      assert.match(rotated.stdout, /rotated tickets\.json, 2 key\(s\)/);
      const token = await mustRun(bin, ["ca", "token", "--tokens", "tokens.json", "--names", "a.example"], {
        cwd: bare,
      });
      assert.match(token.stdout, /^pqrpc-enroll-/);
      // The library alone installs no build tool.
      const lock = JSON.parse(await readFile(join(bare, "package-lock.json"), "utf8")) as {
        packages: Record<string, unknown>;
      };
      const installed = Object.keys(lock.packages).map((k) => k.replace(/^.*node_modules\//, ""));
      for (const tool of ["tsx", "typescript", "esbuild", "@bufbuild/buf", "@bufbuild/protoplugin"]) {
        assert.ok(!installed.includes(tool), `installing pqrpc alone pulls in ${tool}`);
      }
      // Telemetry: only the no-op API is a runtime dependency; the SDK, its exporter and pino are optional peers.
      assert.ok(installed.includes("@opentelemetry/api"), "@opentelemetry/api is installed with pqrpc");
      for (const optional of [
        "@opentelemetry/sdk-metrics",
        "@opentelemetry/exporter-prometheus",
        "@opentelemetry/sdk-trace-base",
        "pino",
      ]) {
        assert.ok(!installed.includes(optional), `installing pqrpc alone pulls in ${optional}`);
      }
    } finally {
      await removeAll(bare);
    }
  });
});
