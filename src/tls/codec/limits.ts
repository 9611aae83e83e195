/**
 * Every bound the handshake codec enforces, in one place. Limits are checked
 * when a length is read, before any bytes are buffered, so a hostile peer can
 * make us hold at most the largest of these.
 */

/** Largest handshake message other than Certificate (a ClientHello with a few PQ key shares is ~5 KB; an SLH-DSA-256f CertificateVerify ~50 KB). */
export const MAX_HANDSHAKE_MESSAGE_BYTES = 64 * 1024;
/** Certificate messages carry whole chains: SLH-DSA chains reach ~150 KB. */
export const MAX_CERTIFICATE_MESSAGE_BYTES = 256 * 1024;
/**
 * Bytes the handshake joiner may hold when a fragment arrives: one message
 * of the largest kind with its header (the connection drains it after every
 * fragment, so it never holds more than one partial message).
 */
export const MAX_HANDSHAKE_JOINER_BYTES = 4 + MAX_CERTIFICATE_MESSAGE_BYTES;
/** Certificates in one Certificate message (leaf plus intermediates). */
export const MAX_CERTIFICATES = 10;
/*
 * Extension blocks (§4.2) and client_shares (§4.2.8) are bounded by their
 * 2^16-1 byte length fields and by MAX_HANDSHAKE_MESSAGE_BYTES, not by counts:
 * real ClientHellos carry thousands of GREASE/unassigned extensions or
 * hundreds of shares, and every step over them is linear (a map lookup per
 * entry; only the one selected share is computed).
 */
/** PSK identities offered in one ClientHello (§4.2.11). */
export const MAX_PSK_IDENTITIES = 16;
/** ALPN protocol names in one list (RFC 7301). */
export const MAX_ALPN_PROTOCOLS = 32;
/** NewSessionTicket ticket bytes we accept: the §4.6.1 maximum (OpenSSL tickets carry client chains of several KB). */
export const MAX_RECEIVED_TICKET_BYTES = 0xffff;
/** Length of ClientHello.random / ServerHello.random. */
export const RANDOM_BYTES = 32;
/** legacy_session_id is at most 32 bytes (§4.1.2). */
export const MAX_SESSION_ID_BYTES = 32;
