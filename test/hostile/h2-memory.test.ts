/**
 * Memory under unfinished messages over HTTP/2, against a real server process
 * with the default limits (issue 9, item 1 and its targets): a peer that opens
 * stream after stream and sends all but the last byte of a large message on
 * each held 984 MiB on one connection before the receive budget. Now:
 *
 * - one such connection with 250 streams raises the server's RSS by at most
 *   its advertised windows plus 16 MiB, the budget's bytes held stay within
 *   the connection's share, the streams past it get RESOURCE_EXHAUSTED;
 * - 100 such connections together raise it by at most 512 MiB, and the
 *   server's share is never exceeded;
 * - a legitimate client is served throughout.
 *
 * The test waits for states (streams answered, bytes handed to the socket),
 * never for time.
 */
import assert from "node:assert/strict";
import type { ClientHttp2Session, ClientHttp2Stream } from "node:http2";
import { after, before, describe, it } from "node:test";
import { encodeEnvelopePrefix } from "../../src/protocol/grpc/envelope.ts";
import { codeFromRstCode } from "../../src/protocol/grpc/http2-errors.ts";
import { http2Windows } from "../../src/protocol/grpc/http2-server-settings.ts";
import { Code } from "../../src/rpc/code.ts";
import {
  DEFAULT_MAX_CONNECTION_BUFFERED_BYTES,
  DEFAULT_MAX_SERVER_BUFFERED_BYTES,
} from "../../src/rpc/receive-budget.ts";
import { type HostileServer, http2Client, MIB, startHostileServer, until } from "./harness.ts";
import type { HostileStats } from "./hostile-stats.ts";

const PATH = "/helloworld.Greeter/LotsOfGreetings";
const ONE_CONNECTION_STREAMS = 250;
const MESSAGE_BYTES = 4 * MIB - 64;
const HOSTILE_CONNECTIONS = 100;
const STREAMS_PER_HOSTILE_CONNECTION = 6;

const HOSTILE_MESSAGE_BYTES = 2 * MIB;
/** The targets. */
const ONE_CONNECTION_SLACK_BYTES = 16 * MIB;
const HUNDRED_CONNECTIONS_BOUND_BYTES = 512 * MIB;

/** A HelloRequest of exactly `total` bytes: field 3 (blob), length-delimited, with a 4-byte varint length. */
function helloOfSize(total: number): Uint8Array {
  const VARINT_BYTES = 4;
  const length = total - 1 - VARINT_BYTES;
  const out = new Uint8Array(total);
  out[0] = (3 << 3) | 2;
  for (let i = 0, v = length; i < VARINT_BYTES; i++, v >>>= 7) {
    out[1 + i] = (v & 0x7f) | (i < VARINT_BYTES - 1 ? 0x80 : 0);
  }
  return out;
}

interface Attack {
  /** grpc-status of every stream the server answered. */
  readonly statuses: number[];
  /** Streams still open: the server holds their messages. */
  readonly open: ClientHttp2Stream[];
}

const REQUEST_HEADERS = {
  ":method": "POST",
  ":path": PATH,
  "content-type": "application/grpc",
  te: "trailers",
};

/** Opens a stream that sends `prefix` and `body` and maybe ends; resolves with its status on close. */
function openStream(
  session: ClientHttp2Session,
  prefix: Uint8Array,
  body: Uint8Array,
  end: boolean,
): { stream: ClientHttp2Stream; closed: Promise<number | undefined> } {
  const stream = session.request(REQUEST_HEADERS);
  stream.on("error", () => {});
  const closed = new Promise<number | undefined>((resolve) => {
    let status: number | undefined;
    const take = (h: Record<string, unknown>) => {
      if (h["grpc-status"] !== undefined) status = Number(h["grpc-status"]);
    };
    stream.on("response", take);
    stream.on("trailers", take);
    // A stream node:http2 refused (RST_STREAM ENHANCE_YOUR_CALM once maxSessionMemory is reached) is what a
    // gRPC client reports from the reset code (PROTOCOL-HTTP2 "Errors"): RESOURCE_EXHAUSTED.
    stream.on("close", () =>
      resolve(status ?? (stream.rstCode === undefined ? undefined : codeFromRstCode(stream.rstCode))),
    );
  });
  stream.resume();
  stream.write(prefix);
  if (end) stream.end(body);
  else stream.write(body);
  return { stream, closed };
}

/**
 * Opens `count` streams on `session`, each sending a prefix that declares
 * `declared` bytes and then all but the last of them; resolves once all but
 * `expectHeld` were answered and the server took every byte of the rest
 * (the connection's send window is more than half back: RFC 9113 §6.9).
 */
async function unfinishedMessages(
  session: ClientHttp2Session,
  count: number,
  declared: number,
  expectHeld: number,
): Promise<Attack> {
  const prefix = encodeEnvelopePrefix({ data: new Uint8Array(declared), compressed: false });
  const body = new Uint8Array(declared - 1);
  const statuses: number[] = [];
  const streams = Array.from({ length: count }, () => {
    const s = openStream(session, prefix, body, false);
    void s.closed.then((status) => statuses.push(status ?? -1));
    return s.stream;
  });
  const window = session.state.remoteWindowSize ?? 0;
  await until(
    async () => ({
      answered: statuses.length,
      unsent: streams.filter((s) => !s.closed).reduce((n, s) => n + s.bufferSize + s.writableLength, 0),
      window: session.destroyed ? -1 : (session.state.remoteWindowSize ?? 0),
    }),
    // nghttp2 returns credit once half the window is consumed: more than half back means the server has read
    // all but less than half a window of what was sent.
    (x) => session.destroyed || (x.answered >= count - expectHeld && x.unsent === 0 && x.window > window / 2),
    "streams answered or held with all their bytes taken",
  );
  return { statuses, open: streams.filter((s) => !s.closed) };
}

describe("HTTP/2 unfinished messages against a server process (default limits)", () => {
  let server: HostileServer;
  let baseline: number;
  before(async () => {
    server = await startHostileServer();
    // Warm up both protocols and a legitimate large message, so their code and buffers are in the baseline.
    assert.equal(await server.sayHello("h2"), "hello legit");
    assert.equal(await server.sayHello("pqrpc/1"), "hello legit");
    const session = await http2Client(server);
    const big = helloOfSize(MESSAGE_BYTES);
    const prefix = encodeEnvelopePrefix({ data: big, compressed: false });
    for (let i = 0; i < 3; i++) assert.equal(await openStream(session, prefix, big, true).closed, Code.OK);
    session.destroy();
    await server.stats();
    baseline = await server.rssBytes();
  });
  after(async () => {
    await server?.stop();
  });

  it(`one connection, ${ONE_CONNECTION_STREAMS} streams: RSS within windows + 16 MiB, RESOURCE_EXHAUSTED past the budget`, async () => {
    const w = http2Windows();
    const windows = w.maxConcurrentStreams * w.streamWindowBytes + w.connectionWindowBytes;
    const fits = Math.floor(DEFAULT_MAX_CONNECTION_BUFFERED_BYTES / MESSAGE_BYTES);
    const session = await http2Client(server);
    const attack = await unfinishedMessages(session, ONE_CONNECTION_STREAMS, MESSAGE_BYTES, fits);
    const s = await server.stats();
    const grew = (await server.rssBytes()) - baseline;
    const exhausted = attack.statuses.filter((c) => c === Code.RESOURCE_EXHAUSTED).length;
    process.stdout.write(
      `# one hostile connection: RSS +${(grew / MIB).toFixed(1)} MiB (bound ${((windows + ONE_CONNECTION_SLACK_BYTES) / MIB).toFixed(1)}), ` +
        `${attack.open.length} streams held, ${exhausted} RESOURCE_EXHAUSTED, ${s.server.bufferedRequestBytes} bytes buffered, statuses ${JSON.stringify([...new Set(attack.statuses)])}\n`,
    );
    assert.equal(attack.open.length, fits, "the connection's share admits what fits");
    assert.equal(exhausted, ONE_CONNECTION_STREAMS - fits, "every other stream got RESOURCE_EXHAUSTED");
    assert.equal(s.server.bufferedRequestBytes, fits * MESSAGE_BYTES);
    assert.ok(grew <= windows + ONE_CONNECTION_SLACK_BYTES, `RSS grew by ${grew} bytes`);
    assert.equal(await server.sayHello("h2"), "hello legit");
    session.destroy();
    await until(
      () => server.stats(),
      (x) => x.server.bufferedRequestBytes === 0,
      "budget returned",
    );
  });

  it(`${HOSTILE_CONNECTIONS} connections: RSS within 512 MiB, the server's share never exceeded, others served`, async () => {
    // Two source addresses: the per-source limit (64) would refuse the rest of 100 from one.
    const sessions = await Promise.all(
      Array.from({ length: HOSTILE_CONNECTIONS }, (_, i) => http2Client(server, `127.0.1.${1 + (i % 2)}`)),
    );
    const fits = Math.floor(DEFAULT_MAX_CONNECTION_BUFFERED_BYTES / HOSTILE_MESSAGE_BYTES);
    let peakBuffered = 0;
    let peakRss = 0;
    let sampling: Promise<HostileStats> | undefined;
    // One sample at a time: each attack that settles asks for one.
    const sample = (): Promise<HostileStats> =>
      (sampling ??= (async () => {
        const s = await server.stats();
        peakBuffered = Math.max(peakBuffered, s.server.bufferedRequestBytes);
        peakRss = Math.max(peakRss, await server.rssBytes());
        sampling = undefined;
        return s;
      })());
    const attacks = sessions.map((session) =>
      unfinishedMessages(session, STREAMS_PER_HOSTILE_CONNECTION, HOSTILE_MESSAGE_BYTES, fits).then(
        async (r) => {
          await sample();
          return r;
        },
      ),
    );
    assert.equal(await server.sayHello("pqrpc/1"), "hello legit", "served during the attack");
    const results = await Promise.all(attacks);
    const s = await sample();
    const grew = peakRss - baseline;
    const held = results.reduce((n, r) => n + r.open.length, 0);
    process.stdout.write(
      `# ${HOSTILE_CONNECTIONS} hostile connections: peak RSS +${(grew / MIB).toFixed(1)} MiB, ` +
        `peak buffered ${(peakBuffered / MIB).toFixed(1)} MiB, ${held} streams held, events ${JSON.stringify(s.events)}\n`,
    );
    assert.ok(peakBuffered <= DEFAULT_MAX_SERVER_BUFFERED_BYTES);
    assert.ok(held * HOSTILE_MESSAGE_BYTES <= DEFAULT_MAX_SERVER_BUFFERED_BYTES);
    assert.ok(
      (s.events["resource_limit:receive-budget"] ?? 0) > 0,
      "the server's share ran out: the worst were closed",
    );
    assert.ok(grew <= HUNDRED_CONNECTIONS_BOUND_BYTES, `RSS grew by ${grew} bytes`);
    assert.equal(await server.sayHello("h2"), "hello legit");
    assert.equal(await server.sayHello("pqrpc/1"), "hello legit");
    for (const session of sessions) session.destroy();
  });
});
