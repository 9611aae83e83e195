// Run by Node 24 (OpenSSL 3.5): makes an ML-DSA-65 root and server leaf WITHOUT pqrpc's code: keys from
// node:crypto, TBSCertificate built with @peculiar/asn1-x509, signatures from crypto.sign (OpenSSL).
// Prints {rootPem, leafPem, leafKeyPem} as one JSON line.
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_serverAuth,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from "@peculiar/asn1-x509";

const ML_DSA_65 = "2.16.840.1.101.3.4.3.18";
const pem = (label, der) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString("base64")
    .match(/.{1,64}/g)
    .join("\n")}\n-----END ${label}-----\n`;
const nameOf = (cn) =>
  new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type: "2.5.4.3", value: new AttributeValue({ utf8String: cn }) }),
    ]),
  ]);
const ext = (id, critical, value) =>
  new Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });

function issue({ subject, issuer, publicKey, signingKey, ca, ski, aki }) {
  const now = Date.now();
  const extensions = [
    ext(id_ce_basicConstraints, true, new BasicConstraints({ cA: ca })),
    ext(
      id_ce_keyUsage,
      true,
      new KeyUsage(ca ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign : KeyUsageFlags.digitalSignature),
    ),
    ext(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(ski)),
    ext(
      id_ce_authorityKeyIdentifier,
      false,
      new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(aki) }),
    ),
  ];
  if (!ca) {
    extensions.push(ext(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_serverAuth])));
    extensions.push(
      ext(
        id_ce_subjectAltName,
        false,
        new SubjectAlternativeName([new GeneralName({ dNSName: "localhost" })]),
      ),
    );
  }
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  serial[0] |= 0x40;
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serial,
    signature: new AlgorithmIdentifier({ algorithm: ML_DSA_65 }),
    issuer: nameOf(issuer),
    validity: new Validity({ notBefore: new Date(now - 3600_000), notAfter: new Date(now + 86_400_000) }),
    subject: nameOf(subject),
    subjectPublicKeyInfo: AsnConvert.parse(
      publicKey.export({ type: "spki", format: "der" }),
      SubjectPublicKeyInfo,
    ),
    extensions: new Extensions(extensions),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign(null, tbsDer, signingKey);
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ML_DSA_65 }),
    signatureValue: signature,
  });
  return Buffer.from(AsnConvert.serialize(cert));
}

const root = generateKeyPairSync("ml-dsa-65");
const leaf = generateKeyPairSync("ml-dsa-65");
const rootSki = randomBytes(20);
const rootDer = issue({
  subject: "openssl root",
  issuer: "openssl root",
  publicKey: root.publicKey,
  signingKey: root.privateKey,
  ca: true,
  ski: rootSki,
  aki: rootSki,
});
const leafDer = issue({
  subject: "openssl leaf",
  issuer: "openssl root",
  publicKey: leaf.publicKey,
  signingKey: root.privateKey,
  ca: false,
  ski: randomBytes(20),
  aki: rootSki,
});
process.stdout.write(
  `${JSON.stringify({
    rootPem: pem("CERTIFICATE", rootDer),
    leafPem: pem("CERTIFICATE", leafDer),
    leafKeyPem: leaf.privateKey.export({ type: "pkcs8", format: "pem" }),
    leafSpkiHex: leaf.publicKey.export({ type: "spki", format: "der" }).toString("hex"),
  })}\n`,
);
