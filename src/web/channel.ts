/**
 * The browser channel: a ClientTransport for createClient (src/rpc) over
 * one pqrpc/1 session, plus what was negotiated and how long it took.
 */
import { cipherSuiteByName, groupByName } from "../crypto/registry.ts";
import type { Crypto, ProviderName } from "../crypto/types.ts";
import type { FrameEndpoint } from "../protocol/frames/frame-endpoint.ts";
import type { ClientCallStream, ClientTransport, RequestHead } from "../rpc/transport.ts";
import type { NegotiatedInfo } from "../tls/index.ts";

/** The negotiated TLS parameters and the connection's timings. */
export interface ChannelInfo {
  readonly url: string;
  readonly version: NegotiatedInfo["version"];
  readonly group: NegotiatedInfo["group"];
  readonly cipherSuite: NegotiatedInfo["cipherSuite"];
  /** The scheme of the server's CertificateVerify. */
  readonly signatureScheme: NegotiatedInfo["signatureScheme"];
  readonly alpn: string | undefined;
  readonly serverName: string | undefined;
  readonly resumed: boolean;
  readonly helloRetry: boolean;
  /** Size of each certificate the server sent, leaf first, bytes. */
  readonly peerCertificateBytes: readonly number[];
  /** Which provider ran each negotiated algorithm (e.g. { "ml-kem-768": "wasm", x25519: "noble" }). */
  readonly providers: Readonly<Record<string, ProviderName>>;
  /** Why the wasm provider is not in use, when it failed to load. */
  readonly wasmError: string | undefined;
  /** Compiling liboqs and parsing the trust PEM (0 after the first connect of a page), ms. */
  readonly cryptoLoadMs: number;
  /** From WebSocket construction to 'open', ms. */
  readonly webSocketMs: number;
  /** From the ClientHello to a verified server Finished, ms. */
  readonly handshakeMs: number;
}

export interface ChannelTimings {
  readonly url: string;
  readonly cryptoLoadMs: number;
  readonly webSocketMs: number;
  readonly handshakeMs: number;
  readonly wasmError: string | undefined;
}

export function describeChannel(n: NegotiatedInfo, crypto: Crypto, t: ChannelTimings): ChannelInfo {
  const used = new Set<string>();
  if (n.group !== undefined) for (const k of groupByName(n.group).components) used.add(k);
  if (n.signatureScheme !== undefined) used.add(n.signatureScheme);
  const suite = cipherSuiteByName(n.cipherSuite);
  used.add(suite.aead);
  used.add(suite.hash);
  const all = crypto.describe();
  const providers: Record<string, ProviderName> = {};
  for (const name of used) if (all[name] !== undefined) providers[name] = all[name];
  return {
    url: t.url,
    version: n.version,
    group: n.group,
    cipherSuite: n.cipherSuite,
    signatureScheme: n.signatureScheme,
    alpn: n.alpn,
    serverName: n.serverName,
    resumed: n.resumed,
    helloRetry: n.helloRetry,
    peerCertificateBytes: n.peerCertificates.map((c) => c.length),
    providers,
    wasmError: t.wasmError,
    cryptoLoadMs: t.cryptoLoadMs,
    webSocketMs: t.webSocketMs,
    handshakeMs: t.handshakeMs,
  };
}

export class WebChannel implements ClientTransport {
  constructor(
    private readonly session: FrameEndpoint,
    private readonly transport: ClientTransport,
    readonly info: ChannelInfo,
  ) {}

  openCall(head: RequestHead): ClientCallStream {
    return this.transport.openCall(head);
  }

  /** False once the connection is closing or lost: open a new channel for new calls. */
  get isOpen(): boolean {
    return this.session.isOpen;
  }

  /** Resolves when the connection has ended, however it ended. */
  get closed(): Promise<void> {
    return this.session.closed.then(() => {});
  }

  /** Graceful: calls in flight finish, then the connection ends (TLS close_notify, WebSocket close). */
  async close(): Promise<void> {
    await this.session.close();
  }
}
