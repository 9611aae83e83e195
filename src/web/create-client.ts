/**
 * The rpc core's createClient with the browser's defaults filled in: it
 * accepts gzip through Compression Streams where the browser has them
 * (web/gzip-compression.ts), unless the options name other compressions.
 */
import type { DescService } from "@bufbuild/protobuf";
import { createClient as createCoreClient } from "../rpc/client.ts";
import { type ClientOptions, withDefaultCompressions } from "../rpc/options.ts";
import type { Client } from "../rpc/service-types.ts";
import type { ClientTransport } from "../rpc/transport.ts";
import { BROWSER_COMPRESSIONS } from "./gzip-compression.ts";

export function createClient<S extends DescService>(
  service: S,
  transport: ClientTransport,
  options?: ClientOptions,
): Client<S> {
  return createCoreClient(service, transport, withDefaultCompressions(options, BROWSER_COMPRESSIONS));
}
