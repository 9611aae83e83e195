/**
 * nameConstraints (RFC 5280 §4.2.1.10) and their check during path
 * validation (§6.1.3 (b)-(c), §6.1.4 (g)), processed whether the extension is
 * critical or not. Processed name forms: dNSName (SAN), iPAddress (SAN) and
 * directoryName (the subject, RDN by RDN). A constraint on any other form
 * (rfc822Name, URI, otherName...) is refused rather than ignored: pqrpc does
 * not check those names, and an application reading them from the peer's
 * certificate must not get names a CA was forbidden to certify.
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import { type GeneralName, type GeneralSubtree, Name, type NameConstraints } from "@peculiar/asn1-x509";
import { bytesEqual } from "../bytes/bytes.ts";
import { parseIpAddress } from "./ip-address.ts";
import { MAX_NAME_CONSTRAINT_SUBTREES } from "./limits.ts";
import { PkiError } from "./types.ts";

interface IpSubtree {
  readonly address: Uint8Array;
  readonly prefixBits: number;
}

export interface Subtrees {
  /** Lowercase, without a trailing dot; a leading dot means "subdomains only" (common practice). */
  readonly dns: readonly string[];
  readonly ip: readonly IpSubtree[];
  /** DER of each RDN of each directoryName, in order. */
  readonly directory: readonly (readonly Uint8Array[])[];
  /** Name forms constrained here that pqrpc does not check: path validation refuses the CA. */
  readonly unsupported: readonly string[];
}

export interface ParsedNameConstraints {
  readonly permitted: Subtrees;
  readonly excluded: Subtrees;
}

/** The names of one certificate that constraints apply to. */
export interface ConstrainedNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly Uint8Array[];
  readonly subjectDer: Uint8Array;
}

export function parseNameConstraints(nc: NameConstraints): ParsedNameConstraints {
  const count = (nc.permittedSubtrees?.length ?? 0) + (nc.excludedSubtrees?.length ?? 0);
  // §4.2.1.10: "Conforming CAs MUST NOT issue certificates where name constraints is an empty sequence."
  if (count === 0) throw new PkiError("bad-encoding", "nameConstraints with no subtrees");
  if (count > MAX_NAME_CONSTRAINT_SUBTREES) {
    throw new PkiError(
      "bad-encoding",
      `${count} nameConstraints subtrees exceeds ${MAX_NAME_CONSTRAINT_SUBTREES}`,
    );
  }
  return { permitted: subtrees(nc.permittedSubtrees ?? []), excluded: subtrees(nc.excludedSubtrees ?? []) };
}

function subtrees(list: readonly GeneralSubtree[]): Subtrees {
  const dns: string[] = [];
  const ip: IpSubtree[] = [];
  const directory: Uint8Array[][] = [];
  const unsupported: string[] = [];
  for (const subtree of list) {
    // §4.2.1.10: minimum MUST be zero and maximum MUST be absent.
    if (subtree.minimum !== 0 || subtree.maximum !== undefined) {
      throw new PkiError("bad-encoding", "nameConstraints subtree with minimum or maximum");
    }
    const base: GeneralName = subtree.base;
    if (base.dNSName !== undefined) {
      const name = base.dNSName.toLowerCase();
      dns.push(name.endsWith(".") ? name.slice(0, -1) : name);
    } else if (base.iPAddress !== undefined) {
      ip.push(ipSubtree(base.iPAddress));
    } else if (base.directoryName !== undefined) {
      directory.push(base.directoryName.map((rdn) => new Uint8Array(AsnConvert.serialize(rdn))));
    } else {
      unsupported.push(formOf(base));
    }
  }
  return { dns, ip, directory, unsupported };
}

/** §4.2.1.10: an iPAddress subtree is the address followed by its mask (8 or 32 octets), here as "addr/prefix". */
function ipSubtree(text: string): IpSubtree {
  const [addr, prefix, ...rest] = text.split("/");
  const address = addr === undefined ? undefined : parseIpAddress(addr);
  const prefixBits = Number(prefix);
  if (
    rest.length > 0 ||
    address === undefined ||
    !Number.isInteger(prefixBits) ||
    prefixBits < 0 ||
    prefixBits > address.length * 8
  ) {
    throw new PkiError("bad-encoding", `malformed nameConstraints iPAddress "${text}"`);
  }
  return { address, prefixBits };
}

function formOf(n: GeneralName): string {
  for (const k of [
    "rfc822Name",
    "uniformResourceIdentifier",
    "otherName",
    "x400Address",
    "ediPartyName",
    "registeredID",
  ]) {
    if ((n as unknown as Record<string, unknown>)[k] !== undefined) return k;
  }
  return "unknown";
}

/**
 * §4.2.1.10: a DNS name satisfies a subtree when it is the subtree's name
 * with zero or more labels added on the left ("example.com" covers
 * "www.example.com", not "badexample.com"); ".example.com" covers
 * subdomains only. A wildcard SAN "*.X" stands for every one-label name
 * under X: permitted when all of them are, excluded when any is.
 */
function dnsWithin(name: string, subtree: string): boolean {
  if (subtree === "") return true;
  if (subtree.startsWith(".")) return name.endsWith(subtree);
  return name === subtree || name.endsWith(`.${subtree}`);
}

function dnsExcluded(name: string, subtree: string): boolean {
  // The literal "*.X" is within a subtree exactly when every name it stands for is ("*" is no real label).
  if (dnsWithin(name, subtree)) return true;
  if (!name.startsWith("*.")) return false;
  // ...and it stands for some excluded name when the subtree is one label under X ("*.example.com" can be "bad.example.com").
  const base = name.slice(2);
  const bare = subtree.startsWith(".") ? subtree.slice(1) : subtree;
  return bare.endsWith(`.${base}`) && !bare.slice(0, -(base.length + 1)).includes(".");
}

function ipWithin(address: Uint8Array, subtree: IpSubtree): boolean {
  if (address.length !== subtree.address.length) return false;
  let bits = subtree.prefixBits;
  for (let i = 0; i < address.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((address[i]! & mask) !== (subtree.address[i]! & mask)) return false;
  }
  return true;
}

function directoryWithin(rdns: readonly Uint8Array[], subtree: readonly Uint8Array[]): boolean {
  return subtree.length <= rdns.length && subtree.every((rdn, i) => bytesEqual(rdn, rdns[i]!));
}

/** Throws PkiError("name-constraints") when `names` break `constraints` of the CA named `ca`. */
export function checkNameConstraints(
  constraints: ParsedNameConstraints,
  ca: string,
  subject: string,
  names: ConstrainedNames,
): void {
  const { permitted, excluded } = constraints;
  const unsupported = [...permitted.unsupported, ...excluded.unsupported];
  if (unsupported.length > 0) {
    throw new PkiError(
      "name-constraints",
      `CA "${ca}" constrains name forms pqrpc does not check (${[...new Set(unsupported)].join(", ")})`,
    );
  }
  const refuse = (what: string) => {
    throw new PkiError(
      "name-constraints",
      `"${subject}": ${what} is outside the nameConstraints of CA "${ca}"`,
    );
  };
  for (const dns of names.dnsNames) {
    if (permitted.dns.length > 0 && !permitted.dns.some((s) => dnsWithin(dns, s))) refuse(`DNS name ${dns}`);
    if (excluded.dns.some((s) => dnsExcluded(dns, s))) refuse(`DNS name ${dns}`);
  }
  for (const ip of names.ipAddresses) {
    const sameFamily = (s: IpSubtree) => s.address.length === ip.length;
    if (permitted.ip.some(sameFamily) && !permitted.ip.some((s) => ipWithin(ip, s))) refuse("an IP address");
    if (excluded.ip.some((s) => ipWithin(ip, s))) refuse("an IP address");
  }
  if (permitted.directory.length > 0 || excluded.directory.length > 0) {
    const rdns = AsnConvert.parse(names.subjectDer, Name).map(
      (rdn) => new Uint8Array(AsnConvert.serialize(rdn)),
    );
    // §6.1.3 (b): an empty subject is not constrained by directoryName subtrees.
    if (rdns.length > 0) {
      if (permitted.directory.length > 0 && !permitted.directory.some((s) => directoryWithin(rdns, s)))
        refuse("the subject");
      if (excluded.directory.some((s) => directoryWithin(rdns, s))) refuse("the subject");
    }
  }
}
