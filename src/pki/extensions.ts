/**
 * The certificate extensions pqrpc issues and checks (RFC 5280 §4.2):
 * basicConstraints, keyUsage, extendedKeyUsage, subjectAltName (DNS, IP),
 * subjectKeyIdentifier, authorityKeyIdentifier, nameConstraints. Parsing yields a typed
 * summary; duplicate extensions (forbidden by §4.2) and malformed values are
 * PkiError("bad-encoding"); unknown critical extensions are listed so path
 * validation can refuse them (§4.2: "MUST reject").
 */
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_nameConstraints,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_clientAuth,
  id_kp_serverAuth,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  NameConstraints,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
} from "@peculiar/asn1-x509";
import type { Schema } from "./der.ts";
import { canonicalIpText, parseIpAddress } from "./ip-address.ts";
import { MAX_CERTIFICATE_EXTENSIONS, MAX_DNS_NAME_CHARS, MAX_SUBJECT_ALT_NAMES } from "./limits.ts";
import { type ParsedNameConstraints, parseNameConstraints } from "./name-constraints.ts";
import { PkiError } from "./types.ts";

export type KeyUsageName = keyof typeof KeyUsageFlags;
export type ExtendedKeyUsageName = "serverAuth" | "clientAuth";

export const EXTENDED_KEY_USAGE_OIDS: Record<ExtendedKeyUsageName, string> = {
  serverAuth: id_kp_serverAuth,
  clientAuth: id_kp_clientAuth,
};

export interface ExtensionsInput {
  /** Present: the certificate is a CA (basicConstraints cA=TRUE, critical). Absent: an end entity (cA=FALSE). */
  readonly ca?: { readonly pathLen?: number };
  readonly keyUsage: readonly KeyUsageName[];
  readonly extendedKeyUsage?: readonly ExtendedKeyUsageName[];
  /** DNS names and IP literals; each entry that parses as an IP becomes an iPAddress. */
  readonly subjectAltNames?: readonly string[];
  readonly subjectKeyIdentifier: Uint8Array;
  readonly authorityKeyIdentifier?: Uint8Array;
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

export function buildExtensions(input: ExtensionsInput): Extensions {
  const list: Extension[] = [];
  // RFC 5280 §4.2.1.9: basicConstraints MUST be critical in CA certificates; we mark it critical on leaves too.
  const bc = new BasicConstraints({ cA: input.ca !== undefined });
  if (input.ca?.pathLen !== undefined) bc.pathLenConstraint = input.ca.pathLen;
  list.push(extension(id_ce_basicConstraints, true, bc));
  // §4.2.1.3: keyUsage SHOULD be critical.
  let flags = 0;
  for (const u of input.keyUsage) flags |= KeyUsageFlags[u];
  list.push(extension(id_ce_keyUsage, true, new KeyUsage(flags)));
  if (input.extendedKeyUsage && input.extendedKeyUsage.length > 0) {
    list.push(
      extension(
        id_ce_extKeyUsage,
        false,
        new ExtendedKeyUsage(input.extendedKeyUsage.map((u) => EXTENDED_KEY_USAGE_OIDS[u])),
      ),
    );
  }
  if (input.subjectAltNames && input.subjectAltNames.length > 0) {
    list.push(subjectAltNameExtension(input.subjectAltNames));
  }
  list.push(
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(input.subjectKeyIdentifier)),
  );
  if (input.authorityKeyIdentifier) {
    list.push(
      extension(
        id_ce_authorityKeyIdentifier,
        false,
        new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(input.authorityKeyIdentifier) }),
      ),
    );
  }
  return new Extensions(list);
}

/** subjectAltName from DNS names and IP literals (§4.2.1.6); non-critical because the subject is not empty. */
export function subjectAltNameExtension(names: readonly string[]): Extension {
  const general = names.map((n) => {
    const ip = parseIpAddress(n);
    if (ip) return new GeneralName({ iPAddress: canonicalIpText(ip) });
    if (!isDnsNamePattern(n))
      throw new PkiError("bad-encoding", `"${n}" is neither a DNS name nor an IP address`);
    return new GeneralName({ dNSName: n.toLowerCase() });
  });
  return extension(id_ce_subjectAltName, false, new SubjectAlternativeName(general));
}

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A DNS name, or a pattern with a single whole left-most wildcard label ("*.example.com"). */
export function isDnsNamePattern(name: string): boolean {
  if (name.length === 0 || name.length > MAX_DNS_NAME_CHARS) return false;
  const labels = name.toLowerCase().split(".");
  return labels.every((l, i) => (i === 0 && l === "*" && labels.length > 2) || DNS_LABEL.test(l));
}

export interface ParsedExtensions {
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number };
  readonly keyUsage?: ReadonlySet<KeyUsageName>;
  /** Key purpose OIDs. */
  readonly extendedKeyUsage?: readonly string[];
  readonly subjectAltName?: {
    readonly dnsNames: readonly string[];
    readonly ipAddresses: readonly Uint8Array[];
  };
  readonly subjectKeyIdentifier?: Uint8Array;
  readonly authorityKeyIdentifier?: Uint8Array;
  /** §4.2.1.10, processed whether critical or not (name-constraints.ts). */
  readonly nameConstraints?: ParsedNameConstraints;
  /** OIDs of critical extensions this module does not process. */
  readonly unhandledCritical: readonly string[];
}

function parseValue<T>(ext: Extension, schema: Schema<T>): T {
  try {
    return AsnConvert.parse(ext.extnValue.buffer, schema);
  } catch (e) {
    throw new PkiError("bad-encoding", `extension ${ext.extnID}: ${(e as Error).message}`);
  }
}

export function parseExtensions(extensions: readonly Extension[] | undefined): ParsedExtensions {
  const list = extensions ?? [];
  if (list.length > MAX_CERTIFICATE_EXTENSIONS) {
    throw new PkiError(
      "bad-encoding",
      `${list.length} extensions exceeds the limit of ${MAX_CERTIFICATE_EXTENSIONS}`,
    );
  }
  const seen = new Set<string>();
  const unhandledCritical: string[] = [];
  let result: { -readonly [K in keyof ParsedExtensions]: ParsedExtensions[K] } = { unhandledCritical };
  for (const ext of list) {
    if (seen.has(ext.extnID)) throw new PkiError("bad-encoding", `duplicate extension ${ext.extnID}`);
    seen.add(ext.extnID);
    switch (ext.extnID) {
      case id_ce_basicConstraints: {
        const bc = parseValue(ext, BasicConstraints);
        const basic: { ca: boolean; pathLen?: number } = { ca: bc.cA };
        if (bc.pathLenConstraint !== undefined) basic.pathLen = bc.pathLenConstraint;
        result = { ...result, basicConstraints: basic };
        break;
      }
      case id_ce_keyUsage: {
        const flags = parseValue(ext, KeyUsage).toNumber();
        const set = new Set<KeyUsageName>();
        for (const [name, bit] of Object.entries(KeyUsageFlags)) {
          if (typeof bit === "number" && flags & bit) set.add(name as KeyUsageName);
        }
        result = { ...result, keyUsage: set };
        break;
      }
      case id_ce_extKeyUsage:
        result = { ...result, extendedKeyUsage: [...parseValue(ext, ExtendedKeyUsage)] };
        break;
      case id_ce_subjectAltName:
        result = { ...result, subjectAltName: parseSubjectAltName(parseValue(ext, SubjectAlternativeName)) };
        break;
      case id_ce_subjectKeyIdentifier:
        result = {
          ...result,
          subjectKeyIdentifier: new Uint8Array(parseValue(ext, SubjectKeyIdentifier).buffer),
        };
        break;
      case id_ce_authorityKeyIdentifier: {
        const aki = parseValue(ext, AuthorityKeyIdentifier);
        if (aki.keyIdentifier)
          result = { ...result, authorityKeyIdentifier: new Uint8Array(aki.keyIdentifier.buffer) };
        break;
      }
      case id_ce_nameConstraints:
        result = { ...result, nameConstraints: parseNameConstraints(parseValue(ext, NameConstraints)) };
        break;
      default:
        if (ext.critical) unhandledCritical.push(ext.extnID);
    }
  }
  return result;
}

function parseSubjectAltName(names: readonly GeneralName[]) {
  if (names.length > MAX_SUBJECT_ALT_NAMES) {
    throw new PkiError(
      "bad-encoding",
      `${names.length} subjectAltName entries exceeds ${MAX_SUBJECT_ALT_NAMES}`,
    );
  }
  const dnsNames: string[] = [];
  const ipAddresses: Uint8Array[] = [];
  for (const n of names) {
    if (n.dNSName !== undefined) {
      if (n.dNSName.length > MAX_DNS_NAME_CHARS) throw new PkiError("bad-encoding", "dNSName too long");
      dnsNames.push(n.dNSName.toLowerCase());
    } else if (n.iPAddress !== undefined) {
      const ip = parseIpAddress(n.iPAddress);
      if (!ip) throw new PkiError("bad-encoding", `malformed iPAddress "${n.iPAddress}"`);
      ipAddresses.push(ip);
    }
  }
  return { dnsNames, ipAddresses };
}
