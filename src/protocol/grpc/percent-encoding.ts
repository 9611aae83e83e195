/**
 * The grpc-message value of PROTOCOL-HTTP2 ("Responses"):
 *
 *   Percent-Encoded        -> 1*(Percent-Byte-Unencoded / Percent-Byte-Encoded)
 *   Percent-Byte-Unencoded -> 1*( %x20-%x24 / %x26-%x7E ) ; space and VCHAR, except %
 *   Percent-Byte-Encoded   -> "%" 2HEXDIGIT
 *
 * The text is UTF-8 first, then percent-encoded byte by byte. Decoding never
 * fails (the spec: "implementations MUST NOT error or throw away the
 * message"): a broken %-sequence is kept as-is, invalid UTF-8 becomes U+FFFD.
 */

import { utf8Decode, utf8Encode } from "../../bytes/bytes.ts";

const PERCENT = 0x25;
const FIRST_UNENCODED = 0x20;
const LAST_UNENCODED = 0x7e;
const HEX = "0123456789ABCDEF";

function isUnencoded(byte: number): boolean {
  return byte >= FIRST_UNENCODED && byte <= LAST_UNENCODED && byte !== PERCENT;
}

export function percentEncode(text: string): string {
  const bytes = utf8Encode(text);
  // Fast path: most status messages are plain ASCII.
  if (bytes.every(isUnencoded)) return text;
  let out = "";
  for (const b of bytes) {
    out += isUnencoded(b) ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 0x0f]}`;
  }
  return out;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

export function percentDecode(value: string): string {
  if (!value.includes("%")) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === PERCENT && i + 2 < value.length) {
      const hi = hexValue(value.charCodeAt(i + 1));
      const lo = hexValue(value.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes.push((hi << 4) | lo);
        i += 2;
        continue;
      }
    }
    // Not a valid escape (or a non-ASCII character a sender should not have put here): keep it.
    if (c < 0x80) {
      bytes.push(c);
      continue;
    }
    const char = String.fromCodePoint(value.codePointAt(i)!);
    for (const b of utf8Encode(char)) bytes.push(b);
    i += char.length - 1;
  }
  return utf8Decode(new Uint8Array(bytes));
}
