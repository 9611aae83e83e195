/**
 * The demo service of `pqrpc serve --demo` and `npm start` (src/demo, which
 * imports it from here: demo depends on cli, never the reverse):
 * helloworld.Greeter (proto/helloworld/greeter.proto) with one handler per
 * call kind, so a run shows all four.
 */
import type { GreeterHandlers } from "../gen/helloworld/greeter_pqrpc.ts";

/** Replies per server-streaming call: enough to see a stream, few enough to read. */
export const DEMO_STREAM_REPLIES = 3;

export const greeterHandlers: GreeterHandlers = {
  sayHello(req) {
    return { message: `hello ${req.name}` };
  },
  async *lotsOfReplies(req) {
    for (let i = 1; i <= DEMO_STREAM_REPLIES; i++)
      yield { message: `hello ${req.name} (${i}/${DEMO_STREAM_REPLIES})` };
  },
  async lotsOfGreetings(reqs) {
    const names: string[] = [];
    for await (const r of reqs) names.push(r.name);
    return { message: `hello to all ${names.length} of you`, names };
  },
  async *chat(reqs) {
    for await (const r of reqs) yield { message: `you said: ${r.name}` };
  },
};
