/**
 * Bundles main.ts for browsers with esbuild. The pqrpc client is not bundled
 * again: "pqrpc" and "pqrpc/web" become imports of /pqrpc-web.js, the
 * prebuilt browser build (`npm run build:web` -> dist/web), served beside
 * the page with its lazily loaded chunks.
 */
import { join } from "node:path";
import * as esbuild from "esbuild";

/** Where the page imports the pqrpc/web bundle from. */
export const PQRPC_WEB_URL = "/pqrpc-web.js";

/** Returns main.js (ESM) as text. */
export async function bundleBrowserExample(): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [join(import.meta.dirname, "main.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "warning",
    plugins: [
      {
        name: "pqrpc-web-external",
        setup(build) {
          build.onResolve({ filter: /^pqrpc(\/web)?$/ }, () => ({ path: PQRPC_WEB_URL, external: true }));
        },
      },
    ],
  });
  return result.outputFiles[0]!.text;
}
