/**
 * Named security policies (DESIGN.md §3). A policy decides which groups and
 * signature schemes may be offered and accepted; it is applied to the
 * configuration and again to what the peer negotiated, so a downgrade is an
 * alert rather than a silent weaker connection.
 */

import {
  GROUPS,
  type GroupClass,
  type GroupInfo,
  type GroupName,
  SIGNATURE_SCHEMES,
  type SignatureClass,
  type SignatureSchemeInfo,
} from "../crypto/registry.ts";
import type { Crypto, SignatureName } from "../crypto/types.ts";
import { fatal } from "./alert.ts";

export type PolicyName = "pq-strict" | "hybrid" | "pq-kex" | "compat";

export const DEFAULT_POLICY: PolicyName = "hybrid";

export interface Policy {
  readonly name: PolicyName;
  /** Group classes in preference order; classes not listed are refused. */
  readonly groupClasses: readonly GroupClass[];
  readonly signatureClasses: readonly SignatureClass[];
}

export const POLICIES: Readonly<Record<PolicyName, Policy>> = {
  // PQ or hybrid groups, PQ signatures only.
  "pq-strict": { name: "pq-strict", groupClasses: ["hybrid", "pq"], signatureClasses: ["pq"] },
  // Hybrid groups first, PQ groups allowed; PQ or composite signatures; classical refused.
  hybrid: { name: "hybrid", groupClasses: ["hybrid", "pq"], signatureClasses: ["pq", "composite"] },
  // The migration step (docs/MIGRATION.md): the key exchange must be hybrid or PQ, so recorded traffic
  // stays confidential against a future quantum attacker ("harvest now, decrypt later"), while
  // certificates may still be classical: what stock OpenSSL 3.5, BoringSSL and Go clients offer today.
  "pq-kex": {
    name: "pq-kex",
    groupClasses: ["hybrid", "pq"],
    signatureClasses: ["pq", "composite", "classical"],
  },
  // Everything, hybrid preferred: for gradual rollout next to classical peers.
  compat: {
    name: "compat",
    groupClasses: ["hybrid", "pq", "classical"],
    signatureClasses: ["pq", "composite", "classical"],
  },
};

/** True when the policy refuses every classical key exchange: a classical-only offer is then a downgrade. */
export function requiresPqKeyExchange(policy: Policy): boolean {
  return !policy.groupClasses.includes("classical");
}

export function groupAllowed(policy: Policy, group: GroupInfo): boolean {
  return policy.groupClasses.includes(group.class);
}

export function signatureAllowed(policy: Policy, scheme: SignatureSchemeInfo): boolean {
  return policy.signatureClasses.includes(scheme.class);
}

function groupAvailable(crypto: Crypto, group: GroupInfo): boolean {
  return group.components.every((k) => crypto.hasKem(k));
}

/** The policy's groups that this runtime can compute, best first (by class, then registry order). */
export function defaultGroups(policy: Policy, crypto: Crypto): GroupName[] {
  const out: GroupName[] = [];
  for (const cls of policy.groupClasses) {
    for (const g of GROUPS) if (g.class === cls && groupAvailable(crypto, g)) out.push(g.name);
  }
  return out;
}

export function defaultSignatureSchemes(policy: Policy, crypto: Crypto): SignatureName[] {
  return SIGNATURE_SCHEMES.filter((s) => signatureAllowed(policy, s) && crypto.hasSignature(s.name)).map(
    (s) => s.name,
  );
}

/** Re-check after negotiation (§ DESIGN 3): a group outside the policy is insufficient_security. */
export function enforceGroup(policy: Policy, group: GroupInfo): void {
  if (!groupAllowed(policy, group)) {
    throw fatal(
      "insufficient_security",
      `group ${group.name} (${group.class}) is refused by policy ${policy.name}`,
    );
  }
}

export function enforceSignature(policy: Policy, scheme: SignatureSchemeInfo): void {
  if (!signatureAllowed(policy, scheme)) {
    throw fatal(
      "insufficient_security",
      `signature ${scheme.name} (${scheme.class}) is refused by policy ${policy.name}`,
    );
  }
}
