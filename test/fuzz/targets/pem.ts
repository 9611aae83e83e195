/**
 * PEM decoding (RFC 7468) of arbitrary text: every block that decodes must
 * encode back to text that decodes to the same label and bytes.
 */
import { bytesEqual } from "../../../src/bytes/bytes.ts";
import { decodePemBlocks, encodePem } from "../../../src/pki/pem.ts";
import { PkiError } from "../../../src/pki/types.ts";
import { check, type FuzzTarget, jazzerEntry } from "../harness/target.ts";

export const target: FuzzTarget = {
  name: "pem",
  description: "PEM text (UTF-8)",
  typed: [PkiError],
  run(data) {
    const text = new TextDecoder().decode(data);
    for (const block of decodePemBlocks(text)) {
      const again = decodePemBlocks(encodePem(block.label, block.der));
      check(
        again.length === 1 && again[0]!.label === block.label && bytesEqual(again[0]!.der, block.der),
        `PEM block "${block.label}" does not survive re-encoding`,
      );
    }
  },
};

export const fuzz = jazzerEntry(target);
