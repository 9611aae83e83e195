/**
 * Turns serialized messages into wire messages and back: the send and receive
 * size limits and per-message compression, shared by client and router.
 */
import { Code } from "./code.ts";
import { type Compression, findCompression, IDENTITY } from "./compression.ts";
import { RpcError } from "./rpc-error.ts";
import type { WireMessage } from "./transport.ts";

/** Messages smaller than this go uncompressed even when compression is on: gzip would grow them. */
export const DEFAULT_COMPRESS_MIN_BYTES = 1024;

export interface MessageCodecConfig {
  readonly maxSendBytes: number;
  readonly maxReceiveBytes: number;
  /** Compression for messages we send; undefined sends identity. */
  readonly sendCompression: Compression | undefined;
  readonly compressMinBytes: number;
  /** Compression the peer declared for the messages it sends (its grpc-encoding). */
  readonly receiveCompression: Compression | undefined;
}

export async function encodeMessage(data: Uint8Array, config: MessageCodecConfig): Promise<WireMessage> {
  const plain = encodeUncompressed(data, config);
  if (plain !== undefined) return plain;
  return { data: await config.sendCompression!.compress(data), compressed: true };
}

/**
 * encodeMessage without a promise for a message sent uncompressed (most are):
 * the same send-limit check, then the wire message, or undefined when the
 * message is to be compressed (then call encodeMessage).
 */
export function encodeUncompressed(data: Uint8Array, config: MessageCodecConfig): WireMessage | undefined {
  if (data.length > config.maxSendBytes) {
    throw new RpcError(
      Code.RESOURCE_EXHAUSTED,
      `message of ${data.length} bytes exceeds the send limit of ${config.maxSendBytes} bytes`,
    );
  }
  const c = config.sendCompression;
  if (c === undefined || data.length < config.compressMinBytes) return { data, compressed: false };
  return undefined;
}

export async function decodeMessage(message: WireMessage, config: MessageCodecConfig): Promise<Uint8Array> {
  return decodeUncompressed(message, config) ?? decompress(message, config);
}

/**
 * decodeMessage without a promise for an uncompressed message: the same
 * receive-limit check, then its bytes, or undefined for a compressed one
 * (then call decodeMessage).
 */
export function decodeUncompressed(message: WireMessage, config: MessageCodecConfig): Uint8Array | undefined {
  if (message.data.length > config.maxReceiveBytes) {
    throw new RpcError(
      Code.RESOURCE_EXHAUSTED,
      `message of ${message.data.length} bytes exceeds the receive limit of ${config.maxReceiveBytes} bytes`,
    );
  }
  return message.compressed ? undefined : message.data;
}

function decompress(message: WireMessage, config: MessageCodecConfig): Promise<Uint8Array> {
  const c = config.receiveCompression;
  if (c === undefined) {
    // PROTOCOL-HTTP2: a compressed flag without a grpc-encoding is a protocol error.
    throw new RpcError(Code.INTERNAL, "compressed message received without a message encoding");
  }
  return c.decompress(message.data, config.maxReceiveBytes);
}

/**
 * Resolves the peer's declared encoding. An encoding we do not implement is
 * UNIMPLEMENTED (gRPC doc/compression.md), naming what we accept.
 */
export function resolveReceiveCompression(
  encoding: string,
  available: readonly Compression[],
): Compression | undefined {
  if (encoding === IDENTITY || encoding === "") return undefined;
  const c = findCompression(encoding, available);
  if (c === undefined) {
    const accepted = [IDENTITY, ...available.map((a) => a.name)].join(",");
    throw new RpcError(
      Code.UNIMPLEMENTED,
      `message encoding "${encoding}" is not supported (accepted: ${accepted})`,
    );
  }
  return c;
}

/** Picks our send compression if the peer accepts it; identity otherwise (doc/compression.md). */
export function negotiateSendCompression(
  wanted: Compression | undefined,
  peerAccepts: readonly string[],
): Compression | undefined {
  return wanted !== undefined && peerAccepts.includes(wanted.name) ? wanted : undefined;
}
