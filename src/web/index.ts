/**
 * pqrpc/web: the browser client (DESIGN.md §7, same API as Node).
 *
 *   const channel = await connect("ws://localhost:8443", { trust: caPem });
 *   const greeter = createClient(Greeter, channel);
 *   await greeter.sayHello({ name: "ada" }, { timeoutMs: 500 });
 *   channel.info; // { group: "X25519MLKEM768", signatureScheme: "ml-dsa-65", handshakeMs, ... }
 *
 * Built by scripts/build-web.mjs into dist/web/pqrpc-web.js (ESM).
 */

export { PkiError } from "../pki/types.ts";
export { Code, codeName } from "../rpc/code.ts";
export { Metadata } from "../rpc/metadata.ts";
export { RpcError } from "../rpc/rpc-error.ts";
export type { CallOptions, Client } from "../rpc/service-types.ts";
export { TlsError } from "../tls/alert.ts";
export { TransportError } from "../transport/errors.ts";
export {
  type BrowserCryptoOptions,
  DEFAULT_BROWSER_WASM_ALGORITHMS,
  loadBrowserCrypto,
} from "./browser-crypto.ts";
export { type ChannelInfo, WebChannel } from "./channel.ts";
export {
  BROWSER_SESSION_SETTINGS,
  connect,
  DEFAULT_WEB_CONNECT_TIMEOUT_MS,
  type WebConnectOptions,
} from "./connect.ts";
export { createClient } from "./create-client.ts";
export { WebConnectError, type WebConnectErrorCode } from "./errors.ts";
export { BROWSER_COMPRESSIONS, browserGzipCompression } from "./gzip-compression.ts";
