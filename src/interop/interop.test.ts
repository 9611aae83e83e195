/**
 * The interop client cases against the TestService, in memory (the reference
 * transport), plus checks that the cases catch a misbehaving server and that
 * the TestService bounds what a client may ask of it.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PayloadType } from "../gen/grpc/testing/messages_pb.ts";
import { TestService } from "../gen/grpc/testing/test_pb.ts";
import { collect, rejectsWith } from "../rpc/call-test-helpers.ts";
import { Code } from "../rpc/code.ts";
import { createRouter } from "../rpc/router.ts";
import { createRouterTransport } from "../rpc/router-transport.ts";
import { RpcError } from "../rpc/rpc-error.ts";
import type { ServiceHandlers } from "../rpc/service-types.ts";
import {
  createInteropClients,
  INTEROP_CASE_NAMES,
  INTEROP_CASES,
  type InteropCaseName,
  runInteropCase,
} from "./client-cases.ts";
import {
  createTestServiceHandlers,
  MAX_RESPONSE_INTERVAL_US,
  MAX_RESPONSE_PAYLOAD_BYTES,
} from "./test-service.ts";

type Handlers = Partial<ServiceHandlers<typeof TestService>>;

function clientsFor(handlers: Handlers = createTestServiceHandlers()) {
  return createInteropClients(createRouterTransport(createRouter().service(TestService, handlers)));
}

describe("interop cases over the in-memory router transport", () => {
  const clients = clientsFor();
  for (const name of INTEROP_CASE_NAMES) {
    it(name, async () => {
      await INTEROP_CASES[name](clients);
    });
  }

  it("runInteropCase reports each case by name", async () => {
    const result = await runInteropCase("empty_unary", clients);
    assert.equal(result.case, "empty_unary");
    assert.equal(result.ok, true);
    assert.equal(result.error, undefined);
  });
});

describe("the cases fail against a server that breaks the spec", () => {
  const good = createTestServiceHandlers();
  const broken: [InteropCaseName, Handlers, RegExp][] = [
    [
      "large_unary",
      { ...good, unaryCall: (req) => ({ payload: { body: new Uint8Array(req.responseSize - 1) } }) },
      /314158 bytes, expected 314159/,
    ],
    [
      "large_unary",
      { ...good, unaryCall: (req) => ({ payload: { body: new Uint8Array(req.responseSize).fill(1) } }) },
      /not all zeros/,
    ],
    [
      "client_streaming",
      { ...good, streamingInputCall: async () => ({ aggregatedPayloadSize: 1 }) },
      /is 1, expected 74922/,
    ],
    [
      "server_streaming",
      {
        ...good,
        async *streamingOutputCall(req) {
          for (const p of req.responseParameters.slice(1))
            yield { payload: { body: new Uint8Array(p.size) } };
        },
      },
      /response 0 payload body is 9 bytes, expected 31415/,
    ],
    [
      "empty_stream",
      {
        ...good,
        async *fullDuplexCall() {
          yield {};
        },
      },
      /received 1 responses, expected exactly 0/,
    ],
    [
      "custom_metadata",
      { ...good, unaryCall: (req) => ({ payload: { body: new Uint8Array(req.responseSize) } }) },
      /initial metadata x-grpc-test-echo-initial is undefined/,
    ],
    [
      "status_code_and_message",
      {
        ...good,
        unaryCall() {
          throw new RpcError(Code.UNKNOWN, "other text");
        },
      },
      /UNKNOWN "other text"; expected UNKNOWN "test status message"/,
    ],
    [
      "unimplemented_method",
      { ...good, unimplementedCall: () => ({}) },
      /succeeded; expected status UNIMPLEMENTED/,
    ],
  ];
  for (const [name, handlers, message] of broken) {
    it(`${name}: ${message.source}`, async () => {
      const result = await runInteropCase(name, clientsFor(handlers));
      assert.equal(result.ok, false, `${name} passed against a broken server`);
      assert.match(result.error ?? "", /InteropCaseError/);
      assert.match(result.error ?? "", message);
    });
  }
});

describe("TestService features and limits", () => {
  const { test } = clientsFor();

  it("StreamingOutputCall observes interval_us between responses", async () => {
    const started = performance.now();
    const replies = await collect(
      test.streamingOutputCall({
        responseParameters: [
          { size: 1, intervalUs: 20_000 },
          { size: 2, intervalUs: 20_000 },
        ],
      }),
    );
    assert.deepEqual(
      replies.map((r) => r.payload?.body.length),
      [1, 2],
    );
    assert.ok(performance.now() - started >= 39, "two 20 ms intervals accumulate");
  });

  it("HalfDuplexCall answers only after the client half-closes, in request order", async () => {
    async function* requests() {
      yield { responseParameters: [{ size: 3 }] };
      yield { responseParameters: [{ size: 5 }, { size: 7 }] };
    }
    const replies = await collect(test.halfDuplexCall(requests()));
    assert.deepEqual(
      replies.map((r) => r.payload?.body.length),
      [3, 5, 7],
    );
  });

  it("CacheableUnaryCall returns a different payload per call and a cache-control header", async () => {
    let cacheControl: unknown;
    const a = await test.cacheableUnaryCall({}, { onHeader: (h) => (cacheControl = h.get("cache-control")) });
    const b = await test.cacheableUnaryCall({});
    assert.equal(cacheControl, "max-age=60");
    assert.notDeepEqual(a.payload?.body, b.payload?.body);
  });

  it("FullDuplexCall's Echo Status comes after the responses already sent", async () => {
    async function* requests() {
      yield { responseParameters: [{ size: 4 }] };
      yield { responseStatus: { code: Code.PERMISSION_DENIED, message: "no" } };
    }
    const seen: number[] = [];
    const err = await rejectsWith(
      (async () => {
        for await (const r of test.fullDuplexCall(requests())) seen.push(r.payload?.body.length ?? -1);
      })(),
      Code.PERMISSION_DENIED,
    );
    assert.equal(err.rawMessage, "no");
    assert.deepEqual(seen, [4]);
  });

  it("out-of-range sizes, intervals, status codes and payload types are INVALID_ARGUMENT", async () => {
    await rejectsWith(test.unaryCall({ responseSize: -1 }), Code.INVALID_ARGUMENT);
    await rejectsWith(
      test.unaryCall({ responseSize: MAX_RESPONSE_PAYLOAD_BYTES + 1 }),
      Code.INVALID_ARGUMENT,
    );
    await rejectsWith(test.unaryCall({ responseStatus: { code: 17, message: "x" } }), Code.INVALID_ARGUMENT);
    await rejectsWith(test.unaryCall({ responseType: 1 as PayloadType }), Code.INVALID_ARGUMENT);
    await rejectsWith(
      collect(
        test.streamingOutputCall({
          responseParameters: [{ size: 1, intervalUs: MAX_RESPONSE_INTERVAL_US + 1 }],
        }),
      ),
      Code.INVALID_ARGUMENT,
    );
    await rejectsWith(
      collect(test.streamingOutputCall({ responseParameters: [{ size: -5 }] })),
      Code.INVALID_ARGUMENT,
    );
  });

  it("a deadline cuts a long interval_us sleep short", async () => {
    const started = performance.now();
    await rejectsWith(
      collect(
        test.streamingOutputCall(
          { responseParameters: [{ size: 1, intervalUs: 5_000_000 }] },
          { timeoutMs: 50 },
        ),
      ),
      Code.DEADLINE_EXCEEDED,
    );
    // Cut short: well before the 5 s the server was asked to sleep (not a speed check).
    assert.ok(performance.now() - started < 4_000);
  });
});
