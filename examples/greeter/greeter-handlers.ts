/**
 * The example's service implementation: one handler per call kind, plus the
 * behaviours client.ts shows (metadata echo, an error status, a slow call).
 */
import { Code, type HandlerContext, RpcError } from "pqrpc";
import type { HelloRequest } from "./gen/greeter_pb.ts";
import type { GreeterHandlers } from "./gen/greeter_pqrpc.ts";

/** Most replies StreamHellos sends for one request. */
export const MAX_STREAM_REPLIES = 100;
/** Longest delay_ms honoured, ms: a client cannot park a handler for longer. */
export const MAX_DELAY_MS = 10_000;

/** Waits `ms`, or less if the call ends first (deadline or cancellation). */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function requireName(req: HelloRequest): string {
  if (req.name.trim() === "") throw new RpcError(Code.INVALID_ARGUMENT, "name is required");
  return req.name;
}

export const greeterHandlers: GreeterHandlers = {
  async sayHello(req: HelloRequest, ctx: HandlerContext) {
    const name = requireName(req);
    // Metadata: the request id comes back in the response header, the server's name in the trailer.
    const requestId = ctx.requestHeader.getString("x-request-id");
    if (requestId !== undefined) ctx.responseHeader.set("x-request-id", requestId);
    ctx.responseTrailer.set("x-served-by", "examples/greeter");
    if (req.delayMs > 0) {
      await wait(Math.min(req.delayMs, MAX_DELAY_MS), ctx.signal);
      ctx.signal.throwIfAborted();
    }
    return { message: `hello ${name}` };
  },
  async *streamHellos(req, ctx) {
    const name = requireName(req);
    const count = Math.min(req.count, MAX_STREAM_REPLIES);
    for (let i = 1; i <= count && !ctx.signal.aborted; i++)
      yield { message: `hello ${name} (${i}/${count})` };
  },
  async collectNames(reqs) {
    const names: string[] = [];
    for await (const r of reqs) names.push(requireName(r));
    return { message: `hello ${names.join(", ")}` };
  },
  async *chat(reqs) {
    for await (const r of reqs) yield { message: `you said: ${r.name}` };
  },
};
