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
import { POLICIES, type PolicyName, signatureAllowed } from "../tls/policy.ts";

export function policyWarnings(identity: CertifiedKey, policyName: PolicyName): string[] {
  const policy = POLICIES[policyName];
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
  if (refused.length === 0) return [];
  return [
    `policy ${policyName} refuses this server's own certificate chain: ${refused.join("; ")}. ` +
      `Clients with policy ${policyName} will refuse every handshake; use a post-quantum chain ` +
      `(pqrpc certs init --alg ml-dsa-65) or --policy compat.`,
  ];
}
