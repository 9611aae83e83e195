/**
 * The README's quickstart and the examples' READMEs, followed as written in
 * fresh projects outside the repository, with the packed tarballs standing in
 * for the published packages (test/package/doc-blocks.ts says how blocks are
 * marked). A changed API, command or output that the documents do not follow
 * fails here.
 *
 * Runs once, in the pass on this machine's Node (20).
 */
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { followDoc, parseDocSteps } from "./doc-blocks.ts";
import { packTarballs, REPO_ROOT, removeAll, type Tarballs } from "./packed.ts";

const isFirstPass = process.versions.node.split(".")[0] === "20";

describe("the documents run as written", {
  skip: isFirstPass ? false : "runs once, in the Node 20 pass",
}, () => {
  let tarballs: Tarballs;
  const dirs: string[] = [];

  before(async () => {
    tarballs = await packTarballs();
  });
  after(async () => {
    await removeAll(tarballs?.dir, ...dirs);
  });

  it("README: install, quickstart (JavaScript) and its TypeScript variant", async () => {
    const steps = parseDocSteps(await readFile(join(REPO_ROOT, "README.md"), "utf8"));
    assert.ok(steps.filter((s) => s.kind === "run").length >= 4, "the quickstart's blocks are marked");
    assert.ok(
      steps.some((s) => s.kind === "output"),
      "its output is checked",
    );
    const dir = await mkdtemp(join(tmpdir(), "pqrpc-readme-"));
    dirs.push(dir);
    await followDoc(steps, { startDir: dir, tarballs, name: "README.md" });
  });

  it("examples/greeter/README.md in a copy of the example", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pqrpc-example-"));
    dirs.push(dir);
    const example = join(REPO_ROOT, "examples/greeter");
    // A user copies the example; its generated code and certificates are made by the steps.
    await cp(example, dir, {
      recursive: true,
      filter: (src) => !/[\\/](gen|certs|node_modules)([\\/]|$)/.test(src.slice(example.length)),
    });
    const steps = parseDocSteps(await readFile(join(example, "README.md"), "utf8"));
    assert.ok(
      steps.some((s) => s.kind === "background"),
      "the server runs in the background",
    );
    await followDoc(steps, { startDir: dir, tarballs, name: "examples/greeter/README.md" });
  });
});
