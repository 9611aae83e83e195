/** What `probe` and `call -v` show of a certificate: parsed with src/pki, sizes in bytes. */
import type { SignatureName } from "../crypto/types.ts";
import { parseCertificate } from "../pki/certificate.ts";
import { formatIpAddress } from "./format.ts";

export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly keyAlgorithm: SignatureName;
  readonly signatureAlgorithm: SignatureName;
  /** The whole DER certificate. */
  readonly bytes: number;
  readonly publicKeyBytes: number;
  readonly signatureBytes: number;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly subjectAltNames: readonly string[];
  readonly ca: boolean;
}

/** A certificate src/pki cannot parse (unsupported algorithm, bad encoding): its size and why. */
export interface UnparsedCertificate {
  readonly bytes: number;
  readonly error: string;
}

export function summarizeCertificate(der: Uint8Array): CertificateSummary | UnparsedCertificate {
  try {
    const c = parseCertificate(der);
    const san = c.extensions.subjectAltName;
    return {
      subject: c.subject,
      issuer: c.issuer,
      serialNumber: c.serialNumber,
      keyAlgorithm: c.keyAlgorithm,
      signatureAlgorithm: c.signatureAlgorithm,
      bytes: der.length,
      publicKeyBytes: c.publicKey.length,
      signatureBytes: c.signature.length,
      notBefore: c.notBefore.toISOString(),
      notAfter: c.notAfter.toISOString(),
      subjectAltNames: [...(san?.dnsNames ?? []), ...(san?.ipAddresses ?? []).map(formatIpAddress)],
      ca: c.extensions.basicConstraints?.ca === true,
    };
  } catch (e) {
    return { bytes: der.length, error: (e as Error).message };
  }
}

export function isParsed(c: CertificateSummary | UnparsedCertificate): c is CertificateSummary {
  return !("error" in c);
}

/** Indented text lines for one certificate of a chain. */
export function certificateLines(index: number, c: CertificateSummary | UnparsedCertificate): string[] {
  if (!isParsed(c)) return [`[${index}] ${c.bytes} bytes, not parsed: ${c.error}`];
  return [
    `[${index}] subject   ${c.subject}${c.ca ? " (CA)" : ""}`,
    `    issuer    ${c.issuer}`,
    `    key       ${c.keyAlgorithm} (${c.publicKeyBytes}-byte public key)`,
    `    signature ${c.signatureAlgorithm} (${c.signatureBytes} bytes)`,
    `    size      ${c.bytes} bytes`,
    `    valid     ${c.notBefore} .. ${c.notAfter}`,
    `    names     ${c.subjectAltNames.join(", ") || "(none)"}`,
  ];
}
