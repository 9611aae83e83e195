/**
 * Code generation: the committed src/gen is exactly what `pqrpc generate`
 * produces from proto/ (so it is never edited by hand, and the repo's tsc run
 * type-checks real generator output), the generated messages round-trip in
 * binary and JSON, and the CLI reports bad input precisely.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { create, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { GenerateError, generateCode } from "@pqrpc/codegen";
import { main } from "../cli/main.ts";
import { SimpleRequestSchema, StreamingOutputCallRequestSchema } from "../gen/grpc/testing/messages_pb.ts";
import { TestService, UnimplementedService } from "../gen/grpc/testing/test_pb.ts";
import { Greeter, HelloRequestSchema, Mood } from "../gen/helloworld/greeter_pb.ts";

const repoRoot = join(import.meta.dirname, "..", "..");
const committed = join(repoRoot, "src", "gen");

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

function captureIo() {
  const out = { stdout: "", stderr: "" };
  return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t) } };
}

describe("pqrpc generate", () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "pqrpc-gen-"));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("regenerating proto/ reproduces the committed src/gen byte for byte", async () => {
    const out = join(tmp, "gen");
    const { out: captured, io } = captureIo();
    const code = await main(
      ["generate", "--out", out, "--runtime", "./../rpc/index.ts", join(repoRoot, "proto")],
      io,
    );
    assert.equal(code, 0, captured.stderr);
    const files = await listFiles(out);
    assert.deepEqual(files, await listFiles(committed));
    assert.deepEqual(files, [
      "grpc/health/v1/health_pb.ts",
      "grpc/health/v1/health_pqrpc.ts",
      "grpc/reflection/v1/reflection_pb.ts",
      "grpc/reflection/v1/reflection_pqrpc.ts",
      "grpc/reflection/v1alpha/reflection_pb.ts",
      "grpc/reflection/v1alpha/reflection_pqrpc.ts",
      "grpc/testing/empty_pb.ts",
      "grpc/testing/messages_pb.ts",
      "grpc/testing/test_pb.ts",
      "grpc/testing/test_pqrpc.ts",
      "helloworld/greeter_pb.ts",
      "helloworld/greeter_pqrpc.ts",
      "pqrpc/ca/v1/ca_pb.ts",
      "pqrpc/ca/v1/ca_pqrpc.ts",
    ]);
    for (const f of files) {
      assert.equal(await readFile(join(out, f), "utf8"), await readFile(join(committed, f), "utf8"), f);
    }
    const stub = await readFile(join(out, "helloworld/greeter_pqrpc.ts"), "utf8");
    assert.match(stub, /export interface GreeterClient \{/);
    assert.match(stub, /export interface GreeterHandlers \{/);
    assert.match(stub, /from "\.\.\/\.\.\/rpc\/index\.ts"/);
  });

  it("--target js+dts writes plain ESM JavaScript with declaration files beside it", async () => {
    const out = join(tmp, "js");
    const { out: captured, io } = captureIo();
    const code = await main(["generate", "--target", "js+dts", "--out", out, join(repoRoot, "proto")], io);
    assert.equal(code, 0, captured.stderr);
    assert.match(captured.stdout, /generated JavaScript \(js\+dts\)/);
    const files = await listFiles(out);
    assert.deepEqual(
      files.filter((f) => f.startsWith("helloworld/")),
      [
        "helloworld/greeter_pb.d.ts",
        "helloworld/greeter_pb.js",
        "helloworld/greeter_pqrpc.d.ts",
        "helloworld/greeter_pqrpc.js",
      ],
    );
    const js = await readFile(join(out, "helloworld/greeter_pqrpc.js"), "utf8");
    assert.match(js, /import \{ createClient \} from "pqrpc";/);
    assert.match(js, /from "\.\/greeter_pb\.js";/);
    assert.match(js, /export function createGreeterClient\(transport, options\) \{/);
    assert.doesNotMatch(js, /interface|: ClientTransport/);
    const dts = await readFile(join(out, "helloworld/greeter_pqrpc.d.ts"), "utf8");
    assert.match(dts, /export interface GreeterHandlers \{/);
    assert.match(dts, /export declare function createGreeterClient\(/);
    assert.match(dts, /import type \{[^}]*ClientTransport[^}]*\} from "pqrpc";/);
    // Every emitted .js parses as JavaScript (no TypeScript left in it).
    for (const f of files.filter((name) => name.endsWith(".js"))) {
      const check = spawnSync(process.execPath, ["--check", join(out, f)], { encoding: "utf8" });
      assert.equal(check.status, 0, `${f}: ${check.stderr}`);
    }
  });

  it("refuses an unknown --target", async () => {
    const bad = captureIo();
    assert.equal(await main(["generate", "--target", "python", "proto"], bad.io), 2);
    assert.match(bad.out.stderr, /--target must be one of ts, js, dts, js\+dts/);
  });

  it("a proto with an error fails with buf's diagnostic", async () => {
    const dir = join(tmp, "bad");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "bad.proto"), 'syntax = "proto3";\nmessage M { Unknown field = 1; }\n');
    await assert.rejects(generateCode({ inputs: [dir], out: join(tmp, "badout") }), (e: unknown) => {
      return e instanceof GenerateError && /Unknown/.test(e.message);
    });
  });

  it("the CLI refuses missing inputs, unknown paths and bad options", async () => {
    const usage = captureIo();
    assert.equal(await main(["generate"], usage.io), 2);
    assert.match(usage.out.stderr, /usage: pqrpc generate/);
    const missing = captureIo();
    assert.equal(await main(["generate", "/nonexistent/x.proto"], missing.io), 1);
    assert.match(missing.out.stderr, /no such file or directory/);
    const ext = captureIo();
    assert.equal(await main(["generate", "--import-extension", "mjs", "proto"], ext.io), 2);
    const outside = captureIo();
    assert.equal(
      await main(["generate", "--root", join(repoRoot, "proto"), join(repoRoot, "package.json")], outside.io),
      1,
    );
    assert.match(outside.out.stderr, /outside the proto root/);
  });
});

describe("generated code", () => {
  it("service descriptors carry the four method kinds and full names", () => {
    assert.equal(Greeter.typeName, "helloworld.Greeter");
    assert.deepEqual(
      Greeter.methods.map((m) => [m.localName, m.methodKind]),
      [
        ["sayHello", "unary"],
        ["lotsOfReplies", "server_streaming"],
        ["lotsOfGreetings", "client_streaming"],
        ["chat", "bidi_streaming"],
      ],
    );
    assert.equal(TestService.typeName, "grpc.testing.TestService");
    assert.equal(TestService.method.fullDuplexCall.methodKind, "bidi_streaming");
    assert.equal(
      TestService.method.streamingInputCall.input.typeName,
      "grpc.testing.StreamingInputCallRequest",
    );
    assert.equal(UnimplementedService.methods.length, 1);
  });

  it("messages round-trip in protobuf binary and JSON", () => {
    const req = create(HelloRequestSchema, {
      name: "ada",
      count: 9007199254740993n,
      blob: new Uint8Array([0, 1, 255]),
      mood: Mood.HAPPY,
      tags: { k: "v" },
      extra: { case: "code", value: 7 },
    });
    assert.deepEqual(fromBinary(HelloRequestSchema, toBinary(HelloRequestSchema, req)), req);
    const json = toJson(HelloRequestSchema, req);
    assert.deepEqual(json, {
      name: "ada",
      count: "9007199254740993",
      blob: "AAH/",
      mood: "MOOD_HAPPY",
      tags: { k: "v" },
      code: 7,
    });
    assert.deepEqual(fromJson(HelloRequestSchema, json), req);

    const simple = create(SimpleRequestSchema, {
      responseSize: 314159,
      payload: { body: new Uint8Array(271828) },
      responseStatus: { code: 2, message: "test status message" },
    });
    const bytes = toBinary(SimpleRequestSchema, simple);
    assert.deepEqual(fromBinary(SimpleRequestSchema, bytes), simple);
    assert.deepEqual(fromJson(SimpleRequestSchema, toJson(SimpleRequestSchema, simple)), simple);
    const stream = create(StreamingOutputCallRequestSchema, {
      responseParameters: [{ size: 31415 }, { size: 9 }],
    });
    assert.deepEqual(toJson(StreamingOutputCallRequestSchema, stream), {
      responseParameters: [{ size: 31415 }, { size: 9 }],
    });
  });
});
