#!/usr/bin/env node
// The `pqrpc` command. Every command runs from the bundled CLI
// (dist/cli-bundle, see scripts/build-cli.mjs) except `serve`, which loads
// the user's handler modules and so runs on the compiled library they import.
// Our own process: Node 24's V8 otherwise reclaims the short-lived Buffers of streaming by full
// mark-compacts (nodejs/node#61967); a flag on node's command line or in NODE_OPTIONS wins.
const { applyYoungBufferGcWorkaround } = await import("../dist/node/young-buffer-gc.js");
applyYoungBufferGcWorkaround();
const entry = process.argv[2] === "serve" ? "../dist/cli/main.js" : "../dist/cli-bundle/pqrpc.mjs";
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
