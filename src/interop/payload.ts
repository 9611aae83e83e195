/**
 * grpc.testing.Payload helpers: the interop cases send and expect bodies of
 * zeros (interop-test-descriptions.md, "payload body contents are zero").
 */
import type { Payload } from "../gen/grpc/testing/messages_pb.ts";

/** A COMPRESSABLE payload of `size` zero bytes. */
export function zeroPayload(size: number): { body: Uint8Array } {
  return { body: new Uint8Array(size) };
}

/** The body length of an optional payload (0 when absent, as proto3 reads it). */
export function payloadSize(payload: Payload | undefined): number {
  return payload?.body.length ?? 0;
}
