#!/usr/bin/env node
// Executable entry of protoc-gen-pqrpc for buf/protoc: loads the TypeScript
// plugin through tsx and speaks the plugin protocol on stdin/stdout.
import { register } from "tsx/esm/api";

register();
const { runNodeJs } = await import("@bufbuild/protoplugin");
const { protocGenPqrpc } = await import("./protoc-gen-pqrpc.ts");
runNodeJs(protocGenPqrpc);
