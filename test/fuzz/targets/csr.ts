/** PKCS#10 certification requests (RFC 2986): parsing, then the proof-of-possession signature check. */
import { CryptoError } from "../../../src/crypto/types.ts";
import { parseCsr, verifyCsr } from "../../../src/pki/csr.ts";
import { PkiError } from "../../../src/pki/types.ts";
import { crypto } from "../harness/pki-fixture.ts";
import { type FuzzTarget, jazzerEntry } from "../harness/target.ts";

export const target: FuzzTarget = {
  name: "csr",
  description: "one DER certification request",
  typed: [PkiError, CryptoError],
  run(data) {
    verifyCsr(parseCsr(data), crypto);
  },
};

export const fuzz = jazzerEntry(target);
