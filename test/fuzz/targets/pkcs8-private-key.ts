/** PKCS#8 OneAsymmetricKey decoding (RFC 5958) of every supported key family: what `--key` files hold. */
import { decodePrivateKey } from "../../../src/pki/private-key.ts";
import { PkiError } from "../../../src/pki/types.ts";
import { type FuzzTarget, jazzerEntry } from "../harness/target.ts";

export const target: FuzzTarget = {
  name: "pkcs8-private-key",
  description: "one DER PKCS#8 private key",
  typed: [PkiError],
  run(data) {
    decodePrivateKey(data);
  },
};

export const fuzz = jazzerEntry(target);
