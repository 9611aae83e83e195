/**
 * The ADDR argument of `pqrpc call/probe/bench`: "host:port", "[v6]:port",
 * or a bare host (port DEFAULT_TLS_PORT). A leading "https://" is accepted
 * because people paste URLs.
 */
import { CliError } from "./cli-error.ts";

/** The port of TLS services when ADDR names none (RFC 6335 registry: https). */
export const DEFAULT_TLS_PORT = 443;
const MAX_PORT = 65_535;

export interface Address {
  readonly host: string;
  readonly port: number;
}

export function parseAddress(text: string): Address {
  let rest = text.trim();
  if (rest.startsWith("https://")) rest = rest.slice("https://".length);
  if (rest.endsWith("/")) rest = rest.slice(0, -1);
  if (rest.length === 0) throw new CliError("empty address (expected HOST:PORT)");
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) throw new CliError(`bad address "${text}": missing "]" after the IPv6 address`);
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) throw new CliError(`bad address "${text}"`);
    portText = after === "" ? undefined : after.slice(1);
  } else {
    const colons = rest.split(":").length - 1;
    if (colons > 1) throw new CliError(`bad address "${text}": write IPv6 addresses as [ADDR]:PORT`);
    const colon = rest.indexOf(":");
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
  }
  if (host.length === 0) throw new CliError(`bad address "${text}": no host`);
  if (portText === undefined) return { host, port: DEFAULT_TLS_PORT };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > MAX_PORT) {
    throw new CliError(`bad address "${text}": port must be 1..${MAX_PORT}`);
  }
  return { host, port };
}

/** host:port text for messages, brackets around IPv6 literals. */
export function formatAddress(a: Address): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
