/**
 * What `pqrpc serve` warns about at start: a policy that will refuse the
 * server's own certificate (an ECDSA chain under `hybrid`, say), so that every
 * handshake of a client with the same policy fails. The check covers the
 * leaf's key (it signs CertificateVerify) and every signature in the chain
 * that a client verifies (all but a self-signed root's own).
 */
import { signatureByName } from "../crypto/registry.ts";
import { parseCertificate } from "../pki/certificate.ts";
import type { CertifiedKey } from "../pki/types.ts";
import { DEFAULT_POLICY, POLICIES, type Policy, type PolicyName, signatureAllowed } from "../tls/policy.ts";

/** What the policy refuses in one identity's chain: empty when a client with that policy accepts it. */
function refusedParts(identity: CertifiedKey, policy: Policy): string[] {
  const chain = identity.chain.map(parseCertificate);
  const refused: string[] = [];
  const leaf = chain[0];
  if (leaf !== undefined) {
    const scheme = signatureByName(leaf.keyAlgorithm);
    if (!signatureAllowed(policy, scheme)) refused.push(`the leaf key is ${scheme.name} (${scheme.class})`);
  }
  for (const [i, cert] of chain.entries()) {
    const selfSigned = cert.issuer === cert.subject && i === chain.length - 1;
    if (selfSigned) continue;
    const scheme = signatureByName(cert.signatureAlgorithm);
    if (!signatureAllowed(policy, scheme)) {
      refused.push(`"${cert.subject}" is signed with ${scheme.name} (${scheme.class})`);
    }
  }
  return refused;
}

/**
 * One warning when the policy refuses every identity (no client with that policy can connect),
 * one per identity it refuses when others remain (that chain is never chosen).
 */
export function policyWarnings(
  identities: CertifiedKey | readonly CertifiedKey[],
  policyName: PolicyName,
): string[] {
  const policy = POLICIES[policyName];
  const list: readonly CertifiedKey[] = Array.isArray(identities) ? identities : [identities as CertifiedKey];
  const refused = list.map((id) => refusedParts(id, policy));
  if (refused.every((r) => r.length === 0)) {
    // A policy that takes classical chains (pq-kex, compat) is served, but pqrpc's own clients
    // at their default policy are not, unless one chain is post-quantum.
    const byDefault = POLICIES[DEFAULT_POLICY];
    if (policy === byDefault || list.some((id) => refusedParts(id, byDefault).length === 0)) return [];
    return [
      `no certificate chain is post-quantum: clients at the default policy ${DEFAULT_POLICY} will refuse ` +
        `every handshake; add an ML-DSA chain (another --cert/--key pair, chosen for clients that accept it)`,
    ];
  }
  if (refused.every((r) => r.length > 0)) {
    const what = refused.map((r, i) => (list.length > 1 ? `chain ${i + 1}: ` : "") + r.join("; ")).join("; ");
    return [
      `policy ${policyName} refuses this server's own certificate chain${list.length > 1 ? "s" : ""}: ${what}. ` +
        `Clients with policy ${policyName} will refuse every handshake; use a post-quantum chain ` +
        `(pqrpc certs init --alg ml-dsa-65), or --policy pq-kex to allow classical certificates ` +
        `with a post-quantum key exchange.`,
    ];
  }
  return refused.flatMap((r, i) =>
    r.length === 0
      ? []
      : [`policy ${policyName} never chooses certificate chain ${i + 1} (${r.join("; ")}); the others serve`],
  );
}
