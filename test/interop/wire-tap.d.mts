/** Types of wire-tap.mjs for the TypeScript tests that import it (tap-relay.ts). */
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";

export interface TapClientHello {
  cipherSuites: string[];
  supportedGroups: string[];
  signatureAlgorithms: string[];
  keyShares: { group: string; bytes: number }[];
  alpn: string[];
  serverName: string | undefined;
  psk: boolean;
}

export interface TapServerHello {
  helloRetry: boolean;
  cipherSuite: string;
  group: string | undefined;
  keyShareBytes: number;
  psk: boolean;
}

/** Filled in while bytes flow; final once the connection has closed. */
export interface TapSummary {
  clientHellos: TapClientHello[];
  serverHello: TapServerHello | undefined;
  helloRetry: TapServerHello | undefined;
  bytesFromClient: number;
  bytesFromServer: number;
  parseError: string | undefined;
}

export const GROUP_NAMES: ReadonlyMap<number, string>;
export const SUITE_NAMES: ReadonlyMap<number, string>;
export const SIGNATURE_NAMES: ReadonlyMap<number, string>;

export function tapSocket(
  socket: Socket,
  local: "server" | "client",
): { duplex: Duplex; summary: TapSummary };
