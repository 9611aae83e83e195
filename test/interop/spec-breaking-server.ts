/**
 * A pqrpc TestService that breaks the interop description on purpose, for
 * the checks that a peer's interop client can fail (its verdict is not a
 * constant): UnaryCall echoes no metadata and answers Echo Status with other
 * text, and UnimplementedCall succeeds. The cases custom_metadata,
 * status_code_and_message and unimplemented_method must then fail.
 */
import assert from "node:assert/strict";
import { TestService } from "../../src/gen/grpc/testing/test_pb.ts";
import { createTestServiceHandlers } from "../../src/interop/test-service.ts";
import { loadIdentity } from "../../src/pki/load.ts";
import { Code } from "../../src/rpc/code.ts";
import { RpcError } from "../../src/rpc/rpc-error.ts";
import { createServer } from "../../src/server/server.ts";
import { type CaseResult, type Certs, STOCK_PEER_POLICY } from "./stock-peer-tls.ts";

/** The cases the broken handlers make fail. */
export const BROKEN_CASES = ["custom_metadata", "status_code_and_message", "unimplemented_method"] as const;
/** A case the breakage leaves alone: it must still pass. */
const UNBROKEN_CASE = "empty_unary";
/** The cases a client runs against this server. */
export const SPEC_BREAKING_RUN: readonly string[] = [...BROKEN_CASES, UNBROKEN_CASE];

/**
 * Asserts that a run of SPEC_BREAKING_RUN failed exactly the broken cases and
 * returns their errors in BROKEN_CASES order, for checks of the peer's wording.
 */
export function brokenCaseErrors(results: readonly CaseResult[]): string[] {
  assert.deepEqual(
    results.map((r) => [r.case, r.ok]),
    [...BROKEN_CASES.map((c) => [c, false]), [UNBROKEN_CASE, true]],
  );
  return results.slice(0, BROKEN_CASES.length).map((r) => r.error ?? "");
}

/** Starts it on 127.0.0.1 (gRPC over HTTP/2) with the stock peers' chain and policy. */
export async function startSpecBreakingServer(certs: Certs) {
  const server = createServer({
    identity: await loadIdentity(certs.cert, certs.key),
    policy: STOCK_PEER_POLICY,
    alpn: ["h2"],
    webSocket: false,
  });
  server.service(TestService, {
    ...createTestServiceHandlers(),
    unaryCall(req) {
      if (req.responseStatus !== undefined) throw new RpcError(Code.UNKNOWN, "some other message");
      return { payload: { body: new Uint8Array(req.responseSize) } };
    },
    unimplementedCall: () => ({}),
  });
  const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
  return { port, close: () => server.close({ graceMs: 0 }) };
}
