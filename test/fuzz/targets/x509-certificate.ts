/**
 * X.509 certificate parsing (RFC 5280 §4.1) with extension decoding, and the
 * import of the subject's public key: every certificate a peer sends goes
 * through both before any signature is checked.
 */
import { CryptoError } from "../../../src/crypto/types.ts";
import { certificatePublicKey, parseCertificate } from "../../../src/pki/certificate.ts";
import { PkiError } from "../../../src/pki/types.ts";
import { crypto } from "../harness/pki-fixture.ts";
import { check, type FuzzTarget, jazzerEntry } from "../harness/target.ts";

export const target: FuzzTarget = {
  name: "x509-certificate",
  description: "one DER certificate",
  typed: [PkiError, CryptoError],
  run(data) {
    const cert = parseCertificate(data);
    check(
      cert.notBefore instanceof Date && !Number.isNaN(cert.notBefore.getTime()),
      "notBefore is not a date",
    );
    check(cert.tbs.length < data.length, "TBSCertificate is not inside the certificate");
    certificatePublicKey(cert, crypto);
  },
};

export const fuzz = jazzerEntry(target);
