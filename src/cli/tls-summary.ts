/** The negotiated security parameters as `call -v` and `bench` print them (stderr). */
import { formatAddress } from "./address.ts";
import { isParsed, summarizeCertificate } from "./certificate-summary.ts";
import type { RpcConnection } from "./rpc-connection.ts";
import type { TlsTarget } from "./tls-dial.ts";

export function securityLines(target: TlsTarget, conn: RpcConnection): string[] {
  const { info, tcpMs, handshakeMs } = conn.dialed;
  const lines = [
    `connected to ${formatAddress(target.address)} (server name ${target.serverName}, policy ${target.policy}): tcp ${tcpMs.toFixed(1)} ms, TLS handshake ${handshakeMs.toFixed(1)} ms`,
    `${info.version}, key exchange ${info.group ?? "(none: PSK only)"}${info.helloRetry ? " after HelloRetryRequest" : ""}, ${info.cipherSuite}, signature ${info.signatureScheme ?? "(none)"}, ALPN ${info.alpn ?? "(none)"} -> ${conn.protocol}`,
  ];
  const chain = target.verifier.chain;
  const leaf = chain[0] ? summarizeCertificate(chain[0]) : undefined;
  if (leaf && isParsed(leaf)) {
    lines.push(
      `server certificate "${leaf.subject}" (${leaf.keyAlgorithm}, ${leaf.bytes} bytes) issued by "${leaf.issuer}", chain ${chain.length} certificate(s) / ${chain.reduce((n, c) => n + c.length, 0)} bytes`,
    );
  }
  lines.push(
    target.verifier.verified
      ? "certificate chain verified against --ca"
      : "certificate chain NOT verified (--insecure): anyone could be at the other end",
  );
  return lines;
}
