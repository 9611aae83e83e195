/** What the browser test's page publishes on window.pqrpcResult (shared by page.ts and browser.test.ts). */

export interface PageConfig {
  readonly url: string;
  readonly trustPem: string;
  readonly serverName: string;
  /** A CA that did not issue the server's certificate. */
  readonly otherCaPem: string;
}

export interface PageInfo {
  readonly version: string;
  readonly group: string | undefined;
  readonly cipherSuite: string;
  readonly signatureScheme: string | undefined;
  readonly alpn: string | undefined;
  readonly providers: Readonly<Record<string, string>>;
  readonly wasmError: string | undefined;
  readonly handshakeMs: number;
  readonly cryptoLoadMs: number;
  readonly peerCertificateBytes: readonly number[];
}

export interface PageSuccess {
  readonly ok: true;
  readonly unary: string;
  readonly echoedHeader: string | undefined;
  readonly serverStream: readonly string[];
  readonly clientStream: string;
  readonly bidi: readonly string[];
  /** Status code name of the call past its deadline. */
  readonly deadline: string;
  /** Status code name of the aborted server stream. */
  readonly cancelled: string;
  readonly info: PageInfo;
  readonly callsMs: number;
  /** The reply on a second connection of the same page. */
  readonly secondUnary: string;
  /** That second connection's handshake (liboqs compiled, JIT warm), ms. */
  readonly warmHandshakeMs: number;
  /** How connect() failed with otherCaPem as the trust ("connected" if it did not). */
  readonly untrusted: string;
  readonly userAgent: string;
}

export type PageResult = PageSuccess | { readonly ok: false; readonly error: string };
