/**
 * PEM (RFC 7468 strict textual encoding): `-----BEGIN label-----`, base64
 * lines, `-----END label-----`. Text between blocks is ignored (RFC 7468 §2
 * "explanatory text"); inside a block only base64 and whitespace are allowed.
 * Uses atob/btoa so pki runs outside Node too.
 */
import { MAX_PEM_BLOCKS, MAX_PEM_BYTES } from "./limits.ts";
import { PkiError } from "./types.ts";

export type PemLabel = "CERTIFICATE" | "PRIVATE KEY" | "CERTIFICATE REQUEST" | (string & {});

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

/** RFC 7468 §2: 64 base64 characters per line. */
const PEM_LINE_CHARS = 64;

export function encodePem(label: PemLabel, der: Uint8Array): string {
  let binary = "";
  for (const b of der) binary += String.fromCharCode(b);
  const b64 = btoa(binary);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += PEM_LINE_CHARS) lines.push(b64.slice(i, i + PEM_LINE_CHARS));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

const BEGIN = /-----BEGIN ([A-Z0-9 ]{1,64})-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes every PEM block in `text`, in order. Throws PkiError("bad-encoding") on a malformed block. */
export function decodePemBlocks(text: string): PemBlock[] {
  if (text.length > MAX_PEM_BYTES) {
    throw new PkiError("bad-encoding", `PEM text of ${text.length} characters exceeds ${MAX_PEM_BYTES}`);
  }
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m !== null; m = BEGIN.exec(text)) {
    if (blocks.length === MAX_PEM_BLOCKS) {
      throw new PkiError("bad-encoding", `more than ${MAX_PEM_BLOCKS} PEM blocks`);
    }
    const label = m[1]!;
    const endMarker = `-----END ${label}-----`;
    const bodyStart = m.index + m[0].length;
    const end = text.indexOf(endMarker, bodyStart);
    if (end < 0) throw new PkiError("bad-encoding", `PEM block "${label}" has no ${endMarker} line`);
    const body = text.slice(bodyStart, end).replace(/\s+/g, "");
    if (!BASE64_BODY.test(body) || body.length % 4 !== 0 || body.length === 0) {
      throw new PkiError("bad-encoding", `PEM block "${label}" does not contain valid base64`);
    }
    const binary = atob(body);
    const der = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) der[i] = binary.charCodeAt(i);
    blocks.push({ label, der });
    BEGIN.lastIndex = end + endMarker.length;
  }
  return blocks;
}

/** All DER bodies with `label`; blocks with other labels are an error (a key mixed into a chain file is a mistake). */
export function decodePem(text: string, label: PemLabel): Uint8Array[] {
  const blocks = decodePemBlocks(text);
  if (blocks.length === 0) throw new PkiError("bad-encoding", `no "${label}" PEM block found`);
  return blocks.map((b) => {
    if (b.label !== label) throw new PkiError("bad-encoding", `expected PEM "${label}", found "${b.label}"`);
    return b.der;
  });
}

/** Exactly one DER body with `label`. */
export function decodePemOne(text: string, label: PemLabel): Uint8Array {
  const all = decodePem(text, label);
  if (all.length !== 1)
    throw new PkiError("bad-encoding", `expected one "${label}" PEM block, found ${all.length}`);
  return all[0]!;
}
