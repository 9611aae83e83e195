/**
 * Where the vectors live and how they are written: one JSON file per vector,
 * two-space indented, newline-terminated, so the file text itself is what
 * vectors.test.ts compares (a changed byte in the code shows up as a diff).
 */
import { fileURLToPath } from "node:url";
import { type FrameVector, makeFrameVectors } from "./frame-vectors.ts";
import { makeTlsVectors, type TlsVector } from "./tls-vectors.ts";

export const VECTORS_DIR = fileURLToPath(new URL("../../vectors/", import.meta.url));

export interface VectorFile {
  /** Path under VECTORS_DIR, e.g. "tls/psk-ke-chacha20.json". */
  path: string;
  text: string;
}

export const serializeVector = (v: TlsVector | FrameVector): string => `${JSON.stringify(v, null, 2)}\n`;

/** Every vector file as the code produces it now. */
export function makeVectorFiles(): VectorFile[] {
  return [
    ...makeTlsVectors().map((v) => ({ path: `tls/${v.name}.json`, text: serializeVector(v) })),
    ...makeFrameVectors().map((v) => ({ path: `frames/${v.name}.json`, text: serializeVector(v) })),
  ];
}
