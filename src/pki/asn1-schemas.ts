/**
 * ASN.1 schemas that @peculiar/asn1-* does not ship, declared with
 * asn1-schema's decorators applied as plain function calls (the project
 * compiles without experimentalDecorators).
 */

import { Attributes } from "@peculiar/asn1-pkcs8";
import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";

/**
 * RFC 5958 §2 OneAsymmetricKey: PKCS#8 v1 (version 0) plus the optional
 * `publicKey [1] IMPLICIT BIT STRING` of v2 (version 1), which OpenSSL and
 * Node emit for some key types.
 */
export class OneAsymmetricKey {
  version = 0;
  privateKeyAlgorithm = new AlgorithmIdentifier();
  privateKey = new OctetString();
  attributes?: Attributes;
  publicKey?: ArrayBuffer;
}
AsnProp({ type: AsnPropTypes.Integer })(OneAsymmetricKey.prototype, "version");
AsnProp({ type: AlgorithmIdentifier })(OneAsymmetricKey.prototype, "privateKeyAlgorithm");
AsnProp({ type: OctetString })(OneAsymmetricKey.prototype, "privateKey");
AsnProp({ type: Attributes, context: 0, implicit: true, optional: true })(
  OneAsymmetricKey.prototype,
  "attributes",
);
AsnProp({ type: AsnPropTypes.BitString, context: 1, implicit: true, optional: true })(
  OneAsymmetricKey.prototype,
  "publicKey",
);

/** RFC 9881 §6: the `both` alternative of ML-DSA-PrivateKey. */
export class MlDsaSeedAndExpanded {
  seed = new OctetString();
  expandedKey = new OctetString();
}
AsnProp({ type: OctetString })(MlDsaSeedAndExpanded.prototype, "seed");
AsnProp({ type: OctetString })(MlDsaSeedAndExpanded.prototype, "expandedKey");

/**
 * RFC 9881 §6:
 *   ML-DSA-PrivateKey ::= CHOICE {
 *     seed [0] OCTET STRING (SIZE (32)),      -- IMPLICIT (module default)
 *     expandedKey OCTET STRING,
 *     both SEQUENCE { seed, expandedKey } }
 */
export class MlDsaPrivateKey {
  seed?: OctetString;
  expandedKey?: OctetString;
  both?: MlDsaSeedAndExpanded;
}
AsnType({ type: AsnTypeTypes.Choice })(MlDsaPrivateKey);
AsnProp({ type: OctetString, context: 0, implicit: true })(MlDsaPrivateKey.prototype, "seed");
AsnProp({ type: OctetString })(MlDsaPrivateKey.prototype, "expandedKey");
AsnProp({ type: MlDsaSeedAndExpanded })(MlDsaPrivateKey.prototype, "both");
