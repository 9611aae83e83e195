/** "host:port" and "[ipv6]:port" (RFC 3986 §3.2.2 authority form without userinfo). */
import { ChannelError } from "./errors.ts";

export interface HostPort {
  /** Without brackets for IPv6. */
  readonly host: string;
  readonly port: number;
}

const MAX_PORT = 65_535;

export function parseAddress(address: string): HostPort {
  // No userinfo, path or whitespace in a host (RFC 3986 §3.2.2): "user@host" is not an address.
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]/\s@]+)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 1 || port > MAX_PORT) {
    throw new ChannelError(
      "bad-address",
      `expected "host:port" or "[v6]:port", got ${JSON.stringify(address)}`,
    );
  }
  return { host: match[1] ?? match[2]!, port };
}

/** The authority form again: IPv6 in brackets. */
export function formatAddress({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
