#!/usr/bin/env node
// Executable entry of protoc-gen-pqrpc for buf/protoc: speaks the plugin
// protocol on stdin/stdout.
import { runNodeJs } from "@bufbuild/protoplugin";
import { protocGenPqrpc } from "../dist/protoc-gen-pqrpc.js";

runNodeJs(protocGenPqrpc);
