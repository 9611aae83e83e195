/**
 * One RPC connection for `call` and `bench`: our TLS 1.3 handshake (timed,
 * with the chain recorded for -v), then the wire protocol the server chose
 * by ALPN: pqrpc/1 framing or gRPC over HTTP/2.
 */
import { ALPN_PQRPC_1 } from "../protocol/frames/constants.ts";
import { FrameSession } from "../protocol/frames/session.ts";
import { createFramesClientTransport } from "../protocol/frames/transport.ts";
import { createGrpcTransport } from "../protocol/grpc/transport.ts";
import type { ClientTransport } from "../rpc/transport.ts";
import { formatAddress } from "./address.ts";
import { CliError } from "./cli-error.ts";
import { CommandFailure, describeFailure } from "./describe-error.ts";
import { type Dialed, dial, type TlsTarget } from "./tls-dial.ts";

export type WireProtocol = "pqrpc/1" | "h2";
export const WIRE_PROTOCOLS: readonly WireProtocol[] = [ALPN_PQRPC_1, "h2"];
/** How long a graceful close may take before the connection is dropped. */
const CLOSE_GRACE_MS = 1_000;

export interface RpcConnection {
  readonly transport: ClientTransport;
  readonly dialed: Dialed;
  readonly protocol: WireProtocol;
  close(): Promise<void>;
}

export function parseProtocol(text: string | undefined): WireProtocol | undefined {
  if (text === undefined) return undefined;
  if (!(WIRE_PROTOCOLS as readonly string[]).includes(text)) {
    throw new CliError(`unknown --protocol "${text}" (one of: ${WIRE_PROTOCOLS.join(", ")})`);
  }
  return text as WireProtocol;
}

/**
 * Connects; offers `protocol` alone, or both (pqrpc/1 first) when undefined.
 * A failure is a CommandFailure with its one-line cause.
 */
export async function openRpcConnection(
  target: TlsTarget,
  protocol: WireProtocol | undefined,
  timeoutMs?: number,
): Promise<RpcConnection> {
  let dialed: Dialed;
  try {
    dialed = await dial(target, { alpn: protocol ? [protocol] : WIRE_PROTOCOLS, timeoutMs });
  } catch (e) {
    throw new CommandFailure(
      describeFailure(e, { address: formatAddress(target.address), policy: target.policy }),
      {
        cause: e,
      },
    );
  }
  const socket = dialed.socket;
  // A server without ALPN gets what was asked for, else pqrpc's own framing.
  const chosen = (dialed.info.alpn ?? protocol ?? ALPN_PQRPC_1) as WireProtocol;
  if (chosen === "h2") {
    let handedOut = false;
    const transport = createGrpcTransport({
      authority: `https://${formatAddress({ host: target.serverName, port: target.address.port })}`,
      connect: () => {
        // One connection per RpcConnection: after it is lost, calls fail instead of silently redialling.
        if (handedOut)
          throw new CommandFailure(`the connection to ${formatAddress(target.address)} was lost`);
        handedOut = true;
        return socket;
      },
    });
    return {
      transport,
      dialed,
      protocol: "h2",
      async close() {
        await withGrace(transport.close());
        socket.destroy();
      },
    };
  }
  const session = new FrameSession(socket, { role: "client" });
  return {
    transport: createFramesClientTransport(session, { authority: target.serverName }),
    dialed,
    protocol: ALPN_PQRPC_1,
    async close() {
      await withGrace(session.close());
      socket.destroy();
    },
  };
}

async function withGrace(p: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
    }),
  ]);
  clearTimeout(timer);
}
