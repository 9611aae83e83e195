/**
 * `pqrpc tickets init FILE | rotate FILE [--activate-after S] [--lifetime S] | show FILE`:
 * the ticket key file that several `pqrpc serve --ticket-keys FILE` processes
 * share (format and rotation rule: src/server/ticket-key-set.ts). `show`
 * prints ids and times, never a secret.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { toHex } from "../bytes/bytes.ts";
import { defaultCrypto } from "../crypto/select.ts";
import { readTicketKeyFile, writeTicketKeyFile } from "../server/ticket-key-file.ts";
import { newTicketKeys, rotateTicketKeys } from "../server/ticket-key-set.ts";
import { MAX_TICKET_LIFETIME_SECONDS, type TicketKeyMaterial } from "../tls/ticket-sealer.ts";
import { CliError, type CliIo } from "./cli-error.ts";
import { commandUsage } from "./usage.ts";

const USAGE = commandUsage("tickets");
/** Longest --activate-after accepted, s (a day: a rotation that waits longer is a mistake). */
const MAX_ACTIVATE_AFTER_S = 86_400;

function seconds(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new CliError(
      `tickets: ${flag} must be a whole number of seconds from ${min} to ${max}, got "${value}"`,
    );
  }
  return n;
}

function describe(keys: readonly TicketKeyMaterial[], nowMs: number): string {
  const sealing = [...keys]
    .filter((k) => k.activatesMs <= nowMs)
    .sort((a, b) => b.activatesMs - a.activatesMs)[0];
  return keys
    .map((k) => {
      const state = k === sealing ? "sealing" : k.activatesMs > nowMs ? "pending" : "opening only";
      return `  ${toHex(k.id)}  activates ${new Date(k.activatesMs).toISOString()}  ${state}\n`;
    })
    .join("");
}

export async function runTickets(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      "activate-after": { type: "string" },
      lifetime: { type: "string" },
      force: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const [sub, file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new CliError(`tickets: one FILE\n${USAGE}`);
  const crypto = defaultCrypto();
  const now = Date.now();
  switch (sub) {
    case "init": {
      if (existsSync(file) && !values.force) {
        throw new CliError(`tickets: ${file} exists (rotate it, or --force to replace its keys)`);
      }
      const keys = newTicketKeys((n) => crypto.randomBytes(n), now);
      await writeTicketKeyFile(file, keys);
      io.stdout(`pqrpc tickets: wrote ${file} (mode 600) with 1 key\n${describe(keys, now)}`);
      return;
    }
    case "rotate": {
      const activateAfterSeconds = seconds(
        values["activate-after"],
        "--activate-after",
        0,
        MAX_ACTIVATE_AFTER_S,
      );
      const ticketLifetimeSeconds = seconds(values.lifetime, "--lifetime", 1, MAX_TICKET_LIFETIME_SECONDS);
      const keys = rotateTicketKeys(await readTicketKeyFile(file), {
        nowMs: now,
        randomBytes: (n) => crypto.randomBytes(n),
        ...(activateAfterSeconds === undefined ? {} : { activateAfterSeconds }),
        ...(ticketLifetimeSeconds === undefined ? {} : { ticketLifetimeSeconds }),
      });
      await writeTicketKeyFile(file, keys);
      io.stdout(`pqrpc tickets: rotated ${file}, ${keys.length} key(s)\n${describe(keys, now)}`);
      return;
    }
    case "show":
      io.stdout(`${file}\n${describe(await readTicketKeyFile(file), now)}`);
      return;
    default:
      throw new CliError(`tickets: unknown subcommand "${sub ?? ""}" (init, rotate or show)\n${USAGE}`);
  }
}
