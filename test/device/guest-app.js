// The device application that runs inside QuickJS (issue 8 part 6), on
// pqrpc/device (dist/device/pqrpc-device.js). It talks helloworld.Greeter
// and encodes its two tiny messages by hand (a device brings its own codec):
// HelloRequest { string name = 1 }, HelloReply { string message = 1 }.
//
// Steps: connect (PSK + ML-KEM-768, or an ML-DSA-44 certificate chain), a
// unary SayHello, a LotsOfReplies server stream, a LotsOfGreetings upload of
// sensor readings, sleep; then, for each wake mode asked for, wake from the
// sleep bytes, SayHello, sleep again. The host calls the functions of
// globalThis.app with bytes (ArrayBuffer) and times (ms), and reads what to
// send and whether the device sleeps; it never sees a message or a key.
(() => {
  const D = globalThis.pqrpcDevice;
  const utf8 = new TextEncoder();
  const text = new TextDecoder();

  function field1(s) {
    const b = utf8.encode(s);
    if (b.length > 127) throw new Error("field too long for this codec");
    const out = new Uint8Array(2 + b.length);
    out[0] = 0x0a;
    out[1] = b.length;
    out.set(b, 2);
    return out;
  }
  /** Field 1 (a string) of a message; other fields are skipped (protobuf wire format). */
  function readField1(bytes) {
    let i = 0;
    let found = "";
    const varint = () => {
      let v = 0;
      let shift = 0;
      for (;;) {
        const b = bytes[i++];
        if (b === undefined) throw new Error("truncated message");
        v += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) return v;
        shift += 7;
      }
    };
    while (i < bytes.length) {
      const tag = varint();
      const wire = tag & 7;
      if (wire === 0) varint();
      else if (wire === 2) {
        const n = varint();
        if (tag >>> 3 === 1) found = text.decode(bytes.subarray(i, i + n));
        i += n;
      } else throw new Error(`wire type ${wire} in a Greeter message`);
    }
    return found;
  }
  function fromHex(h) {
    const out = new Uint8Array(h.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(i * 2, 2), 16);
    return out;
  }

  const S = "/helloworld.Greeter/";
  let config;
  let client;
  let crypto;
  let sleepState;
  const wakes = [];
  const results = { steps: [], replies: {}, infos: [], links: [], calls: {}, error: undefined };
  // Per link: bytes each way and flights received, and their values when the handshake finished.
  let link;
  function newLink(nowMs) {
    link = {
      startedMs: nowMs,
      up: 0,
      down: 0,
      flights: 0,
      handshakeMs: -1,
      handshakeBytes: -1,
      flightsToConnect: -1,
    };
    results.links.push(link);
  }
  let callStart;
  let step = "connect";
  let call;
  let received = [];

  function options(nowMs, extra, firstConnect) {
    const o = { crypto, nowMs, recordSizeLimit: config.recordSizeLimit, serverName: config.serverName };
    // The external PSK authenticates the first connection; a wake resumes the ticket alone.
    if (config.psk && firstConnect)
      o.psk = { identity: utf8.encode(config.psk.identity), key: fromHex(config.psk.key), importer: {} };
    if (config.caDer) {
      o.verifier = D.createTrustVerifier ? D.createTrustVerifier([fromHex(config.caDer)], crypto) : undefined;
      o.signatureSchemes = ["ml-dsa-44"];
    }
    for (const k in extra) o[k] = extra[k];
    return o;
  }

  function next(nowMs) {
    callStart = link.up + link.down;
    switch (step) {
      case "connect":
      case "wake":
        break;
      case "unary":
        call = client.call(S + "SayHello", { request: field1("sensor-1") });
        break;
      case "server-stream":
        call = client.call(S + "LotsOfReplies", { request: field1("sensor-1") });
        break;
      case "upload":
        call = client.call(S + "LotsOfGreetings");
        for (const r of config.readings) client.send(call, field1(r));
        client.end(call);
        break;
      case "wake-call":
        call = client.call(S + "SayHello", { request: field1("awake") });
        break;
      case "sleep":
        sleepState = client.sleep();
        results.steps.push("sleep");
        break;
    }
    void nowMs;
  }

  function onEvents(nowMs) {
    for (const e of client.takeEvents()) {
      if (e.type === "connected") {
        link.handshakeMs = nowMs - link.startedMs;
        link.handshakeBytes = link.up + link.down;
        link.flightsToConnect = link.flights;
        results.infos.push({
          group: e.info.group,
          cipherSuite: e.info.cipherSuite,
          signatureScheme: e.info.signatureScheme,
          pskMode: e.info.pskMode,
          resumed: e.info.resumed,
        });
        results.steps.push(step === "wake" ? "wake" : "connect");
        step = step === "wake" ? "wake-call" : "unary";
        next(nowMs);
      } else if (e.type === "message" && e.call === call) {
        received.push(readField1(e.data));
      } else if (e.type === "trailers" && e.call === call) {
        if (e.status !== 0) throw new Error(`${step} ended with status ${e.status}: ${e.message}`);
        results.replies[step + (step === "wake-call" ? wakes.length : "")] = received;
        results.calls[step + (step === "wake-call" ? wakes.length : "")] = link.up + link.down - callStart;
        results.steps.push(step);
        received = [];
        const order = {
          unary: "server-stream",
          "server-stream": "upload",
          upload: "wait-ticket",
          "wake-call": "wait-ticket",
        };
        step = order[step];
        if (step === "wait-ticket" && ticketSeen) {
          step = "sleep";
        }
        next(nowMs);
      } else if (e.type === "ticket") {
        ticketSeen = true;
        if (step === "wait-ticket") {
          step = "sleep";
          next(nowMs);
        }
      } else if (e.type === "error") {
        results.error = String(e.error?.message);
      }
    }
  }
  let ticketSeen = false;

  globalThis.app = {
    start(configJson, nowMs) {
      config = JSON.parse(configJson);
      crypto = D.createDeviceCrypto();
      for (const m of config.wakeModes) wakes.push(m);
      newLink(nowMs);
      client = D.createDeviceClient(options(nowMs, {}, true));
      step = "connect";
    },
    /** Bytes from the server. */
    receive(buffer, nowMs) {
      link.down += buffer.byteLength;
      link.flights++;
      client.receive(new Uint8Array(buffer), nowMs);
      onEvents(nowMs);
    },
    poll(nowMs) {
      client.poll(nowMs);
      onEvents(nowMs);
    },
    nextDeadline() {
      const d = client.nextDeadline();
      return d === undefined ? -1 : d;
    },
    /** Bytes to send, or undefined. */
    takeOutgoing() {
      const out = client.takeOutgoing();
      if (out === null) return undefined;
      link.up += out.length;
      return out.slice().buffer;
    },
    /** "run", "sleep" (drop the link, then call wake), or "done". */
    state() {
      if (results.error !== undefined) return "done";
      if (step === "sleep") return wakes.length > 0 ? "sleep" : "done";
      return "run";
    },
    /** Wakes on a new link from the sleep bytes (the next wake mode). */
    wake(nowMs) {
      const mode = wakes.shift();
      ticketSeen = false;
      newLink(nowMs);
      client = D.createDeviceClient(options(nowMs, { resume: sleepState, pskModes: [mode] }, false));
      step = "wake";
    },
    sleepStateBytes() {
      return sleepState ? sleepState.length : 0;
    },
    results() {
      return JSON.stringify(results);
    },
  };
})();
