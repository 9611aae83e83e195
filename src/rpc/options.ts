/** Options shared by the rpc client and the router: codec, compression, limits, interceptors. */
import type { CallObserver } from "./call-observer.ts";
import type { Compression } from "./compression.ts";
import type { Interceptor } from "./interceptor.ts";
import {
  DEFAULT_MAX_METADATA_BYTES,
  DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  DEFAULT_MAX_SEND_MESSAGE_BYTES,
} from "./limits.ts";
import { DEFAULT_COMPRESS_MIN_BYTES } from "./message-codec.ts";
import type { SerializationFormat, SerializationOptions } from "./serialization.ts";

export interface CallPathOptions {
  readonly interceptors?: readonly Interceptor[];
  /** Compression for messages this side sends (e.g. gzipCompression); identity by default. */
  readonly sendCompression?: Compression;
  /**
   * Compressions this side decodes. The core's default is none (identity
   * only); the Node and browser entries default to their platform's gzip.
   */
  readonly acceptCompression?: readonly Compression[];
  /** Messages below this size are sent uncompressed. */
  readonly compressMinBytes?: number;
  readonly maxSendMessageBytes?: number;
  readonly maxReceiveMessageBytes?: number;
  /** Largest request header block a client sends / response header or trailer block a router sends. */
  readonly maxMetadataBytes?: number;
  readonly serialization?: SerializationOptions;
  /** Sees every call's start, message sizes and status (metrics and traces: src/observability). */
  readonly callObserver?: CallObserver;
}

export interface ClientOptions extends CallPathOptions {
  /** Message codec: protobuf binary ("proto", default) or protobuf JSON ("json"). */
  readonly format?: SerializationFormat;
  /** Timeout applied to calls that set none. */
  readonly defaultTimeoutMs?: number;
}

export interface ResolvedCallPathOptions {
  readonly interceptors: readonly Interceptor[];
  readonly sendCompression: Compression | undefined;
  readonly acceptCompression: readonly Compression[];
  readonly compressMinBytes: number;
  readonly maxSendMessageBytes: number;
  readonly maxReceiveMessageBytes: number;
  readonly maxMetadataBytes: number;
  readonly serialization: SerializationOptions;
  readonly callObserver: CallObserver | undefined;
}

export function resolveCallPathOptions(o: CallPathOptions | undefined): ResolvedCallPathOptions {
  return {
    interceptors: o?.interceptors ?? [],
    sendCompression: o?.sendCompression,
    acceptCompression: o?.acceptCompression ?? [],
    compressMinBytes: o?.compressMinBytes ?? DEFAULT_COMPRESS_MIN_BYTES,
    maxSendMessageBytes: o?.maxSendMessageBytes ?? DEFAULT_MAX_SEND_MESSAGE_BYTES,
    maxReceiveMessageBytes: o?.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    maxMetadataBytes: o?.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES,
    serialization: o?.serialization ?? {},
    callObserver: o?.callObserver,
  };
}

/** `options` with `acceptCompression` defaulting to a platform's `compressions` (an entry's defaults). */
export function withDefaultCompressions<T extends CallPathOptions>(
  options: T | undefined,
  compressions: readonly Compression[],
): T {
  if (options?.acceptCompression !== undefined) return options;
  return { ...options, acceptCompression: compressions } as T;
}
