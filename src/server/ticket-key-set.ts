/**
 * The ticket key file: the session-ticket keys that several server processes
 * share, so that a client resumes on whichever process a load balancer sends
 * it to (RFC 8446 §4.6.1 leaves the ticket's contents to the server). The
 * format, one JSON object:
 *
 *   { "format": "pqrpc-ticket-keys/1",
 *     "keys": [ { "id": "<16 hex>", "secret": "<64 hex>", "activates": "<ISO 8601 time>" }, ... ] }
 *
 * Every process opens tickets of every key in the file and seals with the
 * newest key whose `activates` has come. Rotation (`pqrpc tickets rotate`)
 * adds a key that activates later, after every process has had time to
 * reload the file, and drops keys whose tickets have all expired. This
 * module is the format and the rotation rule, without the file system
 * (ticket-key-file.ts reads, writes and watches the file).
 */
import { fromHex, toHex } from "../bytes/bytes.ts";
import { CodedError } from "../errors/coded-error.ts";
import {
  DEFAULT_TICKET_LIFETIME_SECONDS,
  MAX_TICKET_KEYS,
  TICKET_KEY_ID_BYTES,
  TICKET_KEY_SECRET_BYTES,
  type TicketKeyMaterial,
} from "../tls/ticket-sealer.ts";

export const TICKET_KEY_FILE_FORMAT = "pqrpc-ticket-keys/1";
/** Largest ticket key file read: MAX_TICKET_KEYS keys are well under 2 KiB. */
export const MAX_TICKET_KEY_FILE_BYTES = 64 * 1024;
/**
 * Default delay between `pqrpc tickets rotate` and the new key sealing: longer than it takes
 * every process to see the file change (TICKET_KEY_FILE_POLL_MS), so none seals a ticket the
 * others cannot open yet.
 */
export const DEFAULT_TICKET_KEY_ACTIVATE_AFTER_SECONDS = 60;

export type TicketKeyFileErrorCode =
  /** The file is not a ticket key file of this format (the message says what is wrong). */
  | "malformed"
  /** The file cannot be read or written (the message has the system's reason). */
  | "io"
  /** The file can be read by other users: ticket keys are secrets. */
  | "insecure-permissions";

export class TicketKeyFileError extends CodedError<TicketKeyFileErrorCode> {
  override readonly name = "TicketKeyFileError";
}

function malformed(why: string): TicketKeyFileError {
  return new TicketKeyFileError("malformed", `ticket key file: ${why}`);
}

function hexField(value: unknown, bytes: number, what: string): Uint8Array {
  if (typeof value !== "string" || value.length !== bytes * 2 || !/^[0-9a-f]+$/i.test(value)) {
    throw malformed(`${what} must be ${bytes * 2} hex digits`);
  }
  return fromHex(value);
}

/** Parses the file's text; the error never repeats a secret. */
export function parseTicketKeys(text: string): TicketKeyMaterial[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed("not JSON");
  }
  if (typeof doc !== "object" || doc === null) throw malformed("not a JSON object");
  const { format, keys } = doc as { format?: unknown; keys?: unknown };
  if (format !== TICKET_KEY_FILE_FORMAT) throw malformed(`format is not "${TICKET_KEY_FILE_FORMAT}"`);
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_TICKET_KEYS) {
    throw malformed(`"keys" must list 1 to ${MAX_TICKET_KEYS} keys`);
  }
  const out: TicketKeyMaterial[] = [];
  for (const [i, k] of keys.entries()) {
    if (typeof k !== "object" || k === null) throw malformed(`key ${i} is not an object`);
    const { id, secret, activates } = k as { id?: unknown; secret?: unknown; activates?: unknown };
    const activatesMs = typeof activates === "string" ? Date.parse(activates) : Number.NaN;
    if (!Number.isSafeInteger(activatesMs) || activatesMs < 0) {
      throw malformed(`key ${i}: "activates" must be an ISO 8601 time`);
    }
    const material = {
      id: hexField(id, TICKET_KEY_ID_BYTES, `key ${i}: "id"`),
      secret: hexField(secret, TICKET_KEY_SECRET_BYTES, `key ${i}: "secret"`),
      activatesMs,
    };
    if (out.some((o) => toHex(o.id) === toHex(material.id))) throw malformed(`key ${i}: duplicate id`);
    out.push(material);
  }
  return out;
}

/** The file's text for `keys`, oldest first. */
export function formatTicketKeys(keys: readonly TicketKeyMaterial[]): string {
  const sorted = [...keys].sort((a, b) => a.activatesMs - b.activatesMs);
  const doc = {
    format: TICKET_KEY_FILE_FORMAT,
    keys: sorted.map((k) => ({
      id: toHex(k.id),
      secret: toHex(k.secret),
      activates: new Date(k.activatesMs).toISOString(),
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export interface RotateOptions {
  readonly nowMs: number;
  /** Random bytes for the new key's id and secret. */
  readonly randomBytes: (n: number) => Uint8Array;
  /** Seconds until the new key seals (default DEFAULT_TICKET_KEY_ACTIVATE_AFTER_SECONDS). */
  readonly activateAfterSeconds?: number;
  /** The servers' ticket lifetime, which bounds how long a replaced key must still open (default 7200 s). */
  readonly ticketLifetimeSeconds?: number;
}

/**
 * The key set after one rotation: a new key that activates after the delay, every key that may
 * still have unexpired tickets, and nothing older. A key stops sealing when the next one
 * activates, so its last ticket expires a ticket lifetime after that; it is dropped then.
 */
export function rotateTicketKeys(
  keys: readonly TicketKeyMaterial[],
  options: RotateOptions,
): TicketKeyMaterial[] {
  const delayS = options.activateAfterSeconds ?? DEFAULT_TICKET_KEY_ACTIVATE_AFTER_SECONDS;
  const lifetimeS = options.ticketLifetimeSeconds ?? DEFAULT_TICKET_LIFETIME_SECONDS;
  if (!Number.isInteger(delayS) || delayS < 0) throw malformed(`activation delay ${delayS} s is not valid`);
  const fresh: TicketKeyMaterial = {
    id: options.randomBytes(TICKET_KEY_ID_BYTES),
    secret: options.randomBytes(TICKET_KEY_SECRET_BYTES),
    activatesMs: options.nowMs + delayS * 1000,
  };
  const sorted = [...keys, fresh].sort((a, b) => a.activatesMs - b.activatesMs);
  const kept = sorted.filter((_key, i) => {
    const next = sorted[i + 1];
    // The key sealing until `next` activates; once that is a lifetime ago, none of its tickets is valid.
    return next === undefined || options.nowMs < next.activatesMs + lifetimeS * 1000;
  });
  // At most MAX_TICKET_KEYS: the oldest go first (their tickets fall back to a full handshake).
  return kept.slice(-MAX_TICKET_KEYS);
}

/** A first key set: one key, sealing at once. */
export function newTicketKeys(randomBytes: (n: number) => Uint8Array, nowMs: number): TicketKeyMaterial[] {
  return [
    {
      id: randomBytes(TICKET_KEY_ID_BYTES),
      secret: randomBytes(TICKET_KEY_SECRET_BYTES),
      activatesMs: nowMs,
    },
  ];
}
