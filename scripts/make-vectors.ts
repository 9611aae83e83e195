/**
 * Regenerates vectors/tls/*.json and vectors/frames/*.json (`npm run vectors`).
 * Run it after a deliberate change to the bytes pqrpc puts on the wire, and
 * commit the result: test/vectors/vectors.test.ts fails until the files match.
 * Files of vectors that no longer exist are removed.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { makeVectorFiles, VECTORS_DIR } from "../test/vectors/vector-files.ts";

const files = makeVectorFiles();
const wanted = new Set(files.map((f) => f.path));
for (const sub of ["tls", "frames"]) {
  mkdirSync(join(VECTORS_DIR, sub), { recursive: true });
  for (const name of readdirSync(join(VECTORS_DIR, sub))) {
    if (name.endsWith(".json") && !wanted.has(`${sub}/${name}`)) rmSync(join(VECTORS_DIR, sub, name));
  }
}
for (const f of files) {
  const path = join(VECTORS_DIR, f.path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, f.text);
  console.log(`wrote vectors/${f.path} (${f.text.length} bytes)`);
}
