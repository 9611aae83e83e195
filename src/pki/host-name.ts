/**
 * Matching a server name against a certificate's subjectAltName
 * (RFC 6125 §6.4, RFC 9525 §6.3): DNS names case-insensitively, with a
 * wildcard only as the whole left-most label matching exactly one label;
 * IP literals against iPAddress entries byte for byte. No fallback to the
 * subject CN (RFC 9525 §6.3 removes it).
 */
import { bytesEqual } from "../bytes/bytes.ts";
import type { ParsedExtensions } from "./extensions.ts";
import { parseIpAddress } from "./ip-address.ts";
import { MAX_DNS_NAME_CHARS } from "./limits.ts";

/** A wildcard pattern needs at least this many labels ("*.example.com"), so "*.com" never matches. */
const MIN_WILDCARD_PATTERN_LABELS = 3;

function normalizeDnsName(name: string): string | undefined {
  const lower = name.toLowerCase();
  const bare = lower.endsWith(".") ? lower.slice(0, -1) : lower;
  if (bare.length === 0 || bare.length > MAX_DNS_NAME_CHARS) return undefined;
  const labels = bare.split(".");
  return labels.every((l) => /^[a-z0-9_-]{1,63}$/.test(l)) ? bare : undefined;
}

export function dnsNameMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  if (!p.startsWith("*.")) return p === host;
  const patternLabels = p.split(".");
  const hostLabels = host.split(".");
  if (patternLabels.length < MIN_WILDCARD_PATTERN_LABELS || patternLabels.length !== hostLabels.length)
    return false;
  if (patternLabels.slice(1).includes("*")) return false;
  return patternLabels.slice(1).join(".") === hostLabels.slice(1).join(".");
}

/** True when `serverName` (DNS name or IP literal) is covered by the SAN extension. */
export function matchesServerName(san: ParsedExtensions["subjectAltName"], serverName: string): boolean {
  if (!san) return false;
  const ip = parseIpAddress(serverName);
  if (ip) return san.ipAddresses.some((a) => bytesEqual(a, ip));
  const host = normalizeDnsName(serverName);
  if (host === undefined) return false;
  return san.dnsNames.some((pattern) => dnsNameMatches(pattern, host));
}
