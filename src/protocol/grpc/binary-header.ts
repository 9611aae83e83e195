/**
 * Base64 for `-bin` metadata on HTTP/2 (PROTOCOL-HTTP2 "Requests": RFC 4648
 * §4 alphabet; "Implementations MUST accept padded and un-padded values and
 * should emit un-padded values").
 */
import { Code } from "../../rpc/code.ts";
import { RpcError } from "../../rpc/rpc-error.ts";

// Standard alphabet, optional padding that completes the last quantum.
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

export function encodeBinaryHeader(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64").replace(/=+$/, "");
}

/** Decodes one base64 value; INTERNAL for text that is not base64 (grpc-go answers malformed binary metadata so). */
export function decodeBinaryHeader(name: string, text: string): Uint8Array {
  const trimmed = text.trim();
  if (!BASE64_RE.test(trimmed)) {
    throw new RpcError(Code.INTERNAL, `malformed base64 in binary metadata "${name}"`);
  }
  return new Uint8Array(Buffer.from(trimmed, "base64"));
}
