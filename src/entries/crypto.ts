/** `pqrpc/crypto`: the algorithm registry (names, TLS codepoints, OIDs) and the crypto providers. */
export * from "../crypto/index.ts";
