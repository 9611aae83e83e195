/**
 * The rpc core's createClient and createRouter with Node's defaults filled
 * in: they accept gzip (node:zlib) unless the options name other
 * compressions. The public entry (src/index.ts) exports these; the core
 * (src/rpc) itself accepts only identity and imports no node:* module.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { ObservedTransport } from "../rpc/call-observer.ts";
import { createClient as createCoreClient } from "../rpc/client.ts";
import { type ClientOptions, withDefaultCompressions } from "../rpc/options.ts";
import { createRouter as createCoreRouter, type Router, type RouterOptions } from "../rpc/router.ts";
import type { Client } from "../rpc/service-types.ts";
import type { ClientTransport } from "../rpc/transport.ts";
import { NODE_COMPRESSIONS } from "./gzip-compression.ts";

export function createClient<S extends DescService>(
  service: S,
  transport: ClientTransport,
  options?: ClientOptions,
): Client<S> {
  // A channel brings the observer of its telemetry (metrics and traces of each call).
  const observer = options?.callObserver ?? (transport as ObservedTransport).callObserver;
  const withObserver = observer === undefined ? options : { ...options, callObserver: observer };
  return createCoreClient(service, transport, withDefaultCompressions(withObserver, NODE_COMPRESSIONS));
}

export function createRouter(options?: RouterOptions): Router {
  return createCoreRouter(withDefaultCompressions(options, NODE_COMPRESSIONS));
}
