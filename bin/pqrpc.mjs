#!/usr/bin/env node
// The `pqrpc` command. Every command runs from the bundled CLI
// (dist/cli-bundle, see scripts/build-cli.mjs) except `serve`, which loads
// the user's handler modules and so runs on the compiled library they import.
const entry = process.argv[2] === "serve" ? "../dist/cli/main.js" : "../dist/cli-bundle/pqrpc.mjs";
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
