/**
 * test/device/device-server.ts as a process, with its certificates (an
 * ML-DSA-44 chain), its ticket key file and the device PSK in a temporary
 * folder: what the QuickJS test and bench/device-footprint.ts run against.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "../../src/bytes/bytes.ts";
import { defaultCrypto } from "../../src/crypto/select.ts";
import { createDevelopmentPki } from "../../src/pki/development-pki.ts";
import { writeTicketKeyFile } from "../../src/server/ticket-key-file.ts";
import { newTicketKeys } from "../../src/server/ticket-key-set.ts";
import { REPO_ROOT, type ServerProcess, startServerProcess } from "../interop/child-process.ts";

export interface DeviceServerSetup {
  readonly dir: string;
  readonly psk: { readonly identity: string; readonly key: string };
  /** The CA certificate (DER, hex) a certificate-profile device trusts. */
  readonly caDer: string;
  /** Starts a server process (again, after a stop: same keys and ticket key file). */
  start(): Promise<ServerProcess>;
  dispose(): Promise<void>;
}

export async function setUpDeviceServer(): Promise<DeviceServerSetup> {
  const dir = await mkdtemp(join(tmpdir(), "pqrpc-device-"));
  const pki = createDevelopmentPki({ algorithm: "ml-dsa-44" });
  await writeFile(join(dir, "server.pem"), pki.server.chainPem);
  await writeFile(join(dir, "server.key"), pki.server.keyPem, { mode: 0o600 });
  const crypto = defaultCrypto();
  await writeTicketKeyFile(
    join(dir, "ticket-keys.json"),
    newTicketKeys((n) => crypto.randomBytes(n), Date.now()),
  );
  const psk = { identity: "sensor-1", key: toHex(randomBytes(32)) };
  const running: ServerProcess[] = [];
  return {
    dir,
    psk,
    caDer: toHex(pki.ca.certificate),
    async start() {
      const p = await startServerProcess(
        process.execPath,
        ["--import", "tsx", join(REPO_ROOT, "test/device/device-server.ts")],
        {
          what: "device test server",
          portPattern: /listening on 127\.0\.0\.1:(\d+)/,
          startTimeoutMs: 90_000,
          env: {
            ...process.env,
            PQRPC_DEVICE_PSK_IDENTITY: psk.identity,
            PQRPC_DEVICE_PSK_KEY: psk.key,
            PQRPC_DEVICE_TICKET_KEYS: join(dir, "ticket-keys.json"),
            PQRPC_DEVICE_CERT_DIR: dir,
          },
        },
      );
      running.push(p);
      return p;
    },
    async dispose() {
      for (const p of running) await p.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
