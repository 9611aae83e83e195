/**
 * Header fields as the session carries them. Names are lower-case ASCII;
 * values are text, except under names ending in "-bin" (gRPC binary
 * metadata), whose values are raw bytes on the pqrpc/1 wire — no base64.
 */
export type HeaderValue = string | Uint8Array;
export type HeaderField = readonly [name: string, value: HeaderValue];

/** True for a name whose values are bytes (gRPC's "-bin" convention). */
export function isBinaryHeaderName(name: string): boolean {
  return name.endsWith("-bin");
}

/**
 * A legal header name: 1..MAX_HEADER_NAME_BYTES of lower-case letters,
 * digits and "-_.", optionally after one leading ":" (pseudo-header style).
 */
export function isValidHeaderName(name: string, maxBytes: number): boolean {
  if (name.length === 0 || name.length > maxBytes) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2d ||
      c === 0x5f ||
      c === 0x2e ||
      (c === 0x3a && i === 0);
    if (!ok) return false;
  }
  return true;
}
