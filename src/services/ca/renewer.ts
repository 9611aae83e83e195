/**
 * Keeps a short-lived identity fresh from a pqrpc CA (ca-service.ts): enrolls
 * with a one-time token when it has no certificate yet, then renews at a
 * fraction (default 2/3) of each certificate's lifetime, with a new key each
 * time, authenticating with the certificate it is replacing. Every new
 * identity goes to `onIdentity`, typically `server.setIdentity` (and a write
 * to disk), so a server swaps its chain in place with no restart.
 */

import { bytesEqual } from "../../bytes/bytes.ts";
import { connect } from "../../client/channel.ts";
import type { ConnectOptions } from "../../client/connect-options.ts";
import { defaultCrypto } from "../../crypto/select.ts";
import type { Crypto, SignatureName } from "../../crypto/types.ts";
import type { IssuedCertificate } from "../../gen/pqrpc/ca/v1/ca_pb.ts";
import { CertificateAuthority } from "../../gen/pqrpc/ca/v1/ca_pb.ts";
import { createClient } from "../../node/rpc-defaults.ts";
import { parseCertificate } from "../../pki/certificate.ts";
import { createCsr } from "../../pki/csr.ts";
import { generateKeyPair, publicKeyInfo } from "../../pki/keys.ts";
import { encodePem } from "../../pki/pem.ts";
import type { CertifiedKey, PeerVerifier } from "../../pki/types.ts";

/** Renew when this fraction of the certificate's lifetime has passed. */
export const DEFAULT_RENEW_AT_FRACTION = 2 / 3;
/** After a failed attempt, wait a tenth of the time left, within these bounds, ms. */
export const MIN_RENEW_RETRY_MS = 1_000;
export const MAX_RENEW_RETRY_MS = 5 * 60_000;
/** setTimeout's longest delay; a later renewal is reached in several waits. */
const MAX_TIMER_MS = 2_147_483_647;

export interface RenewedIdentity {
  readonly identity: CertifiedKey;
  /** The chain and the new key as PEM, for writing to disk. */
  readonly chainPem: string;
  readonly keyPem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CertificateRenewerOptions {
  /** The CA service, "host:port". */
  readonly address: string;
  /** Trust for the CA server's own TLS certificate. */
  readonly trust: PeerVerifier;
  readonly serverName?: string;
  /** The names to ask for (default: what the token or the current certificate allows). */
  readonly names?: readonly string[];
  /** The identity in use, to renew; without it the renewer enrolls with `token`. */
  readonly current?: CertifiedKey;
  readonly token?: string;
  /** Key algorithm of new keys (default: the current leaf's, else ml-dsa-65). */
  readonly algorithm?: SignatureName;
  readonly renewAtFraction?: number;
  readonly onIdentity: (renewed: RenewedIdentity) => void | Promise<void>;
  /** A failed attempt (it is retried). */
  readonly onError?: (error: unknown) => void;
  readonly crypto?: Crypto;
  /** Extra options for the connection to the CA (protocol, policy, ...). */
  readonly connectOptions?: Partial<ConnectOptions>;
}

export class CertificateRenewer {
  private current: CertifiedKey | undefined;
  private notBefore = 0;
  private notAfter = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly crypto: Crypto;

  constructor(private readonly options: CertificateRenewerOptions) {
    const f = options.renewAtFraction ?? DEFAULT_RENEW_AT_FRACTION;
    if (!(f > 0 && f < 1)) throw new RangeError(`renewAtFraction ${f} is not between 0 and 1`);
    this.crypto = options.crypto ?? defaultCrypto();
    this.current = options.current;
    if (this.current !== undefined) this.noteValidity(this.current);
    else if (options.token === undefined)
      throw new RangeError("a renewer needs a current identity or a token");
  }

  /** Enrolls first when there is no identity yet (rejects if that fails), then keeps renewing. */
  async start(): Promise<void> {
    if (this.current === undefined) await this.renewNow();
    else this.schedule();
  }

  /** When the next renewal is due, ms since the epoch: renewAtFraction of the lifetime left when it was obtained. */
  get nextRenewalMs(): number {
    const f = this.options.renewAtFraction ?? DEFAULT_RENEW_AT_FRACTION;
    return this.notBefore + f * (this.notAfter - this.notBefore);
  }

  /** Renews (or enrolls) now, then schedules the next renewal. */
  async renewNow(): Promise<RenewedIdentity> {
    const renewed = await this.obtain();
    this.current = renewed.identity;
    this.noteValidity(renewed.identity);
    await this.options.onIdentity(renewed);
    this.schedule();
    return renewed;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * The lifetime counts from when this process got the certificate (or from notBefore, if later):
   * CAs backdate notBefore for clock skew, which would otherwise pull the renewal forward.
   */
  private noteValidity(identity: CertifiedKey): void {
    const leaf = parseCertificate(identity.chain[0]!);
    this.notBefore = Math.max(leaf.notBefore.getTime(), Date.now());
    this.notAfter = leaf.notAfter.getTime();
  }

  private schedule(delayMs = this.nextRenewalMs - Date.now()): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(delayMs, MAX_TIMER_MS));
    this.timer = setTimeout(() => {
      if (Date.now() < this.nextRenewalMs - 1) return this.schedule();
      this.renewNow().catch((e: unknown) => {
        this.options.onError?.(e);
        const left = this.notAfter - Date.now();
        this.schedule(Math.min(MAX_RENEW_RETRY_MS, Math.max(MIN_RENEW_RETRY_MS, left / 10)));
      });
    }, wait);
    // A renewer alone does not keep a process alive.
    this.timer.unref?.();
  }

  private async obtain(): Promise<RenewedIdentity> {
    const o = this.options;
    const currentLeaf = this.current === undefined ? undefined : parseCertificate(this.current.chain[0]!);
    const algorithm = o.algorithm ?? currentLeaf?.keyAlgorithm ?? "ml-dsa-65";
    const key = generateKeyPair(algorithm, this.crypto);
    const names = o.names ?? [];
    const csr = createCsr({
      subject: { commonName: names[0] ?? currentLeaf?.subject ?? "pqrpc" },
      publicKey: publicKeyInfo(key),
      signingKey: key.signingKey,
      ...(names.length === 0 ? {} : { subjectAltNames: names }),
    });
    const channel = await connect(o.address, {
      trust: o.trust,
      telemetry: false,
      ...(o.serverName === undefined ? {} : { serverName: o.serverName }),
      ...(this.current === undefined ? {} : { identity: this.current }),
      ...o.connectOptions,
    });
    let issued: IssuedCertificate;
    try {
      const ca = createClient(CertificateAuthority, channel);
      issued =
        this.current === undefined ? await ca.enroll({ token: o.token!, csr }) : await ca.renew({ csr });
    } finally {
      await channel.close();
    }
    const leaf = parseCertificate(issued.chain[0] ?? new Uint8Array(0));
    if (leaf.keyAlgorithm !== algorithm || !bytesEqual(leaf.publicKey, key.publicKey)) {
      throw new Error("the CA returned a certificate for another key");
    }
    return {
      identity: { chain: issued.chain, key: key.signingKey },
      chainPem: issued.chain.map((c) => encodePem("CERTIFICATE", c)).join(""),
      keyPem: encodePem("PRIVATE KEY", key.pkcs8),
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
  }
}

export function createCertificateRenewer(options: CertificateRenewerOptions): CertificateRenewer {
  return new CertificateRenewer(options);
}
