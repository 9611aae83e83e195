/**
 * The check that pqrpc's default policy does not serve a stock peer
 * classically: `pqrpc serve --interop` under DEFAULT_POLICY with an
 * ML-DSA-65 chain, which Go's crypto/tls and BoringSSL cannot verify, must
 * refuse the handshake before any ServerHello (RFC 8446 §4.1.1: no common
 * signature scheme is a handshake_failure alert).
 */
import { rm } from "node:fs/promises";
import { DEFAULT_POLICY } from "../../src/tls/policy.ts";
import { startPqrpcServe } from "./pqrpc-serve-process.ts";
import { assertRefusedBeforeServerHello, type CaseResult, createStockPeerCerts } from "./stock-peer-tls.ts";
import { withTapRelay } from "./tap-relay.ts";

/**
 * Runs `client` (one case, against 127.0.0.1:port trusting `ca`) through a
 * tap relay, asserts the refusal on the wire, and returns the client's
 * result, for checks of the peer's wording of the alert.
 */
export async function runAgainstDefaultPolicy(
  prefix: string,
  log: (text: string) => void,
  client: (port: number, ca: string) => Promise<CaseResult[]>,
): Promise<CaseResult | undefined> {
  const mldsa = await createStockPeerCerts(prefix, "ml-dsa-65");
  try {
    const server = await startPqrpcServe({ identities: [mldsa], policy: DEFAULT_POLICY });
    return await withTapRelay(server, log, async (relay) => {
      const [result] = await client(relay.port, mldsa.ca);
      assertRefusedBeforeServerHello(relay.connections, "stock client");
      return result;
    });
  } finally {
    await rm(mldsa.dir, { recursive: true, force: true });
  }
}
