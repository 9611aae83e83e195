/**
 * Certification path validation (RFC 5280 §6) by the trust store, for a
 * peer's chain. Mode 0 mutates the real chain of a development PKI (which
 * certificate, how, where); mode 1 takes the chain from the input as
 * length-prefixed DER items. The trust store must answer with a PkiError
 * or a path that starts at the presented leaf and ends at its anchor.
 */
import { bytesEqual } from "../../../src/bytes/bytes.ts";
import { CryptoError } from "../../../src/crypto/types.ts";
import { MAX_PRESENTED_CERTIFICATES } from "../../../src/pki/limits.ts";
import { createVerifier, type TrustStore } from "../../../src/pki/trust-store.ts";
import { PkiError } from "../../../src/pki/types.ts";
import { FuzzInput, lengthPrefixedItems } from "../harness/input.ts";
import { crypto, fuzzPki } from "../harness/pki-fixture.ts";
import { check, type FuzzTarget, jazzerEntry } from "../harness/target.ts";

/** The validation time: inside the development certificates' validity. */
const NOW = new Date();

let store: TrustStore | undefined;
function trustStore(): TrustStore {
  store ??= createVerifier({ roots: fuzzPki().ca.certificate, crypto, now: NOW });
  return store;
}

function mutatedChain(input: FuzzInput): Uint8Array[] {
  const pki = fuzzPki();
  const base = input.bool() ? pki.server.certifiedKey.chain : pki.client.certifiedKey.chain;
  const chain = base.map((c) => c.slice());
  const which = input.pick(chain.length + 1);
  const op = input.pick(4);
  const offset = input.u16();
  const patch = input.rest();
  if (which === chain.length) {
    // Reorder or repeat: the extra certificates may come in any order.
    return op === 0 ? chain.reverse() : [...chain, ...chain.slice(0, 1 + (op % chain.length))];
  }
  const der = chain[which]!;
  const at = offset % der.length;
  if (op === 0) der.set(patch.subarray(0, der.length - at), at);
  else if (op === 1) chain[which] = der.subarray(0, at);
  else if (op === 2) der[at]! ^= patch[0] ?? 1;
  else chain[which] = Uint8Array.from([...der.subarray(0, at), ...patch, ...der.subarray(at)]);
  return chain;
}

export const target: FuzzTarget = {
  name: "path-validation",
  description: "a peer chain: [mode] then a chain mutation (0) or length-prefixed DER certificates (1)",
  typed: [PkiError, CryptoError],
  run(data) {
    const input = new FuzzInput(data);
    const usage = input.bool() ? "server" : "client";
    const chain =
      input.pick(2) === 0
        ? mutatedChain(input)
        : lengthPrefixedItems(input.rest(), MAX_PRESENTED_CERTIFICATES + 2);
    const peer = trustStore().verify({
      chain,
      usage,
      ...(usage === "server" ? { serverName: "localhost" } : {}),
    });
    check(
      peer.path.length >= 1 && bytesEqual(peer.path[0]!, chain[0]!),
      "the path does not start at the leaf",
    );
    check(
      bytesEqual(peer.path[peer.path.length - 1]!, fuzzPki().ca.certificate),
      "the path does not end at the trust anchor",
    );
  },
};

export const fuzz = jazzerEntry(target);
