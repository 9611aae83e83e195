/**
 * `pqrpc call` without --proto against a server with reflection: the schema
 * comes from the server (a .proto the CLI has never seen, with a
 * well-known-type import and nested types), over both protocols, with the
 * short service name resolved through list_services; a service the server
 * does not have is named with the ones it has; and `pqrpc serve --proto`
 * spawned with `pqrpc call` spawned, as a user runs them.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import type { DescService } from "@bufbuild/protobuf";
import { loadWasmProvider } from "../crypto/index.ts";
import { loadIdentity } from "../pki/load.ts";
import { createServer, type Server } from "../server/server.ts";
import {
  type CertDir,
  makeCerts,
  REPO_ROOT,
  runInProcess,
  runSpawned,
  SPAWN_TIMEOUT_MS,
} from "./cli-test-helpers.ts";
import { compileSchema } from "./schema.ts";

const PROTO =
  'syntax = "proto3";\n' +
  "package shop.v1;\n" +
  'import "google/protobuf/timestamp.proto";\n' +
  "message Order {\n" +
  "  enum Kind { KIND_UNSPECIFIED = 0; KIND_EXPRESS = 1; }\n" +
  "  message Line { string sku = 1; int32 count = 2; }\n" +
  "  string id = 1; Kind kind = 2; repeated Line lines = 3; google.protobuf.Timestamp placed = 4;\n" +
  "}\n" +
  "message Receipt { string id = 1; int32 items = 2; google.protobuf.Timestamp placed = 3; }\n" +
  "service Orders {\n" +
  "  rpc Place(Order) returns (Receipt);\n" +
  "  rpc Track(Order) returns (stream Receipt);\n" +
  "}\n";

interface Line {
  readonly count: number;
}
interface OrderMsg {
  readonly id: string;
  readonly kind: number;
  readonly lines: readonly Line[];
  readonly placed?: unknown;
}

const orderHandlers = {
  place: (req: OrderMsg) => ({
    id: `${req.id}/${req.kind}`,
    items: req.lines.reduce((n, l) => n + l.count, 0),
    placed: req.placed,
  }),
  async *track(req: OrderMsg) {
    yield { id: `${req.id} packed` };
    yield { id: `${req.id} shipped` };
  },
};

describe("pqrpc call through server reflection", () => {
  let certs: CertDir;
  let server: Server;
  let addr: string;

  before(async () => {
    await loadWasmProvider();
    certs = await makeCerts("ml-dsa-65", "pqrpc-reflect-");
    await writeFile(join(certs.dir, "shop.proto"), PROTO);
    // The server has the schema; the CLI calls below never see the .proto.
    const schema = await compileSchema([join(certs.dir, "shop.proto")]);
    const orders = schema.registry.getService("shop.v1.Orders") as DescService;
    server = createServer({ identity: await loadIdentity(certs.chain, certs.key), reflection: true }).service(
      orders,
      orderHandlers as never,
    );
    addr = `localhost:${(await server.listen({ port: 0, host: "127.0.0.1" })).port}`;
  });
  after(async () => {
    await server?.close();
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  const order = JSON.stringify({
    id: "o1",
    kind: "KIND_EXPRESS",
    lines: [
      { sku: "a", count: 2 },
      { sku: "b", count: 3 },
    ],
    placed: "2026-01-02T03:04:05Z",
  });

  for (const protocol of ["pqrpc/1", "h2"]) {
    it(`${protocol}: unary and server streaming, nested enum and message, a WKT import, -v says where the schema came from`, async () => {
      const base = ["call", addr, "--ca", certs.ca, "--protocol", protocol];
      const place = await runInProcess([...base, "shop.v1.Orders/Place", "-d", order, "-v"]);
      assert.equal(place.code, 0, place.stderr);
      assert.deepEqual(JSON.parse(place.stdout), { id: "o1/1", items: 5, placed: "2026-01-02T03:04:05Z" });
      assert.match(place.stderr, /schema of shop\.v1\.Orders from server reflection \(v1\)/);
      // The short name is resolved with list_services.
      const track = await runInProcess([...base, "Orders/Track", "-d", '{"id":"o2"}']);
      assert.equal(track.code, 0, track.stderr);
      assert.deepEqual(
        track.stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l)),
        [{ id: "o2 packed" }, { id: "o2 shipped" }],
      );
    });
  }

  it("errors against the reflected schema: an unknown service, method or field (usage errors, exit 2)", async () => {
    const base = ["call", addr, "--ca", certs.ca];
    const service = await runInProcess([...base, "helloworld.Greeter/SayHello", "-d", "{}"]);
    assert.equal(service.code, 2);
    assert.match(
      service.stderr,
      /no service "helloworld\.Greeter" on the server \(its reflection lists: grpc\.reflection\.v1\.ServerReflection, grpc\.reflection\.v1alpha\.ServerReflection, shop\.v1\.Orders\)/,
    );
    const method = await runInProcess([...base, "shop.v1.Orders/Cancel"]);
    assert.equal(method.code, 2);
    assert.match(method.stderr, /no method "Cancel" in shop\.v1\.Orders \(have: Place, Track\)/);
    const field = await runInProcess([...base, "shop.v1.Orders/Place", "-d", '{"idd":"x"}']);
    assert.equal(field.code, 2);
    assert.match(field.stderr, /bad -d JSON for shop\.v1\.Order/);
  });

  it("spawned: pqrpc serve --proto --impl, then pqrpc call with no .proto at all", async () => {
    await writeFile(
      join(certs.dir, "impl.mjs"),
      'export default { "shop.v1.Orders": { place: (req) => ({ id: req.id, items: req.lines.length }) } };\n',
    );
    const serve = spawn(
      process.execPath,
      [
        join(REPO_ROOT, "bin/pqrpc.mjs"),
        "serve",
        "--proto",
        join(certs.dir, "shop.proto"),
        "--impl",
        join(certs.dir, "impl.mjs"),
        "--port",
        "0",
        "--host",
        "127.0.0.1",
        "--cert",
        certs.chain,
        "--key",
        certs.key,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const killTimer = setTimeout(() => serve.kill("SIGKILL"), SPAWN_TIMEOUT_MS * 2);
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        createInterface({ input: serve.stdout! }).on("line", (l) => {
          if (/listening on/.test(l)) resolve(l);
        });
        serve.once("exit", (code) => reject(new Error(`pqrpc serve exited with ${code}`)));
      });
      const port = Number(/listening on [^\s]*:(\d+)/.exec(banner)![1]);
      const r = await runSpawned([
        "call",
        `localhost:${port}`,
        "shop.v1.Orders/Place",
        "-d",
        order,
        "--ca",
        certs.ca,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { id: "o1", items: 2 });
      const h = await runSpawned([
        "health",
        `localhost:${port}`,
        "shop.v1.Orders",
        "--ca",
        certs.ca,
        "--timeout",
        "30000",
      ]);
      assert.equal(h.code, 0, h.stderr);
    } finally {
      serve.kill("SIGTERM");
      if (serve.exitCode === null) await once(serve, "exit");
      clearTimeout(killTimer);
    }
  });
});
