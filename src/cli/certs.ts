/**
 * `pqrpc certs init --dir DIR [--alg ml-dsa-65] [--san localhost,127.0.0.1] [--days N] [--force]`
 *   writes ca.pem, ca.key, server.pem, server.key, client.pem, client.key (PEM, PKCS#8 keys);
 *   server.pem and client.pem hold the leaf followed by the CA certificate.
 * `pqrpc certs show FILE` prints each certificate, CSR or private key in FILE.
 */
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SIGNATURE_SCHEMES } from "../crypto/registry.ts";
import type { SignatureName } from "../crypto/types.ts";
import { type ParsedCertificate, parseCertificate } from "../pki/certificate.ts";
import { parseCsr } from "../pki/csr.ts";
import { createDevelopmentPki, DEFAULT_DEVELOPMENT_SANS } from "../pki/development-pki.ts";
import { EXTENDED_KEY_USAGE_OIDS } from "../pki/extensions.ts";
import { MAX_PEM_BYTES, MAX_VALIDITY_DAYS } from "../pki/limits.ts";
import { decodePemBlocks, encodePem } from "../pki/pem.ts";
import { decodePrivateKey } from "../pki/private-key.ts";
import { CliError, type CliIo } from "./cli-error.ts";
import { formatIpAddress } from "./format.ts";
import { commandUsage } from "./usage.ts";

const SIGNATURE_NAMES: readonly string[] = SIGNATURE_SCHEMES.map((s) => s.name);
const DEFAULT_ALGORITHM: SignatureName = "ml-dsa-65";
const DEFAULT_DAYS = 365;
/** Private keys are readable by their owner only. */
const KEY_FILE_MODE = 0o600;
const CERT_FILE_MODE = 0o644;

const CERTS_USAGE = commandUsage("certs");

export async function runCerts(args: string[], io: CliIo): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === "init") return certsInit(rest, io);
  if (sub === "show") return certsShow(rest, io);
  throw new CliError(
    sub === undefined ? CERTS_USAGE.split("\n")[0]! : `unknown certs subcommand "${sub}" (init, show)`,
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function certsInit(args: string[], io: CliIo): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      dir: { type: "string" },
      alg: { type: "string", default: DEFAULT_ALGORITHM },
      san: { type: "string" },
      days: { type: "string", default: String(DEFAULT_DAYS) },
      force: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.dir) throw new CliError("certs init: --dir DIR is required");
  if (!SIGNATURE_NAMES.includes(values.alg)) {
    throw new CliError(`certs init: unknown --alg "${values.alg}" (one of: ${SIGNATURE_NAMES.join(", ")})`);
  }
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > MAX_VALIDITY_DAYS) {
    throw new CliError(
      `certs init: --days must be an integer from 1 to ${MAX_VALIDITY_DAYS}, got "${values.days}"`,
    );
  }
  const sans =
    values.san === undefined
      ? DEFAULT_DEVELOPMENT_SANS
      : values.san
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
  if (sans.length === 0) throw new CliError("certs init: --san needs at least one DNS name or IP address");

  const files = ["ca.pem", "ca.key", "server.pem", "server.key", "client.pem", "client.key"];
  if (!values.force) {
    for (const f of files) {
      if (await exists(join(values.dir, f))) {
        throw new CliError(`certs init: ${join(values.dir, f)} exists (use --force to overwrite)`);
      }
    }
  }
  const pki = createDevelopmentPki({
    algorithm: values.alg as SignatureName,
    subjectAltNames: sans,
    validityDays: days,
  });
  await mkdir(values.dir, { recursive: true });
  const write = (name: string, text: string, mode: number) =>
    writeFile(join(values.dir!, name), text, { mode });
  await write("ca.pem", encodePem("CERTIFICATE", pki.ca.certificate), CERT_FILE_MODE);
  await write("ca.key", pki.ca.keyPem, KEY_FILE_MODE);
  await write("server.pem", pki.server.chainPem, CERT_FILE_MODE);
  await write("server.key", pki.server.keyPem, KEY_FILE_MODE);
  await write("client.pem", pki.client.chainPem, CERT_FILE_MODE);
  await write("client.key", pki.client.keyPem, KEY_FILE_MODE);
  io.stdout(
    `wrote ${files.join(", ")} to ${values.dir} (${pki.algorithm}, server names: ${sans.join(", ")})\n`,
  );
}

async function certsShow(args: string[], io: CliIo): Promise<void> {
  const { positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new CliError("certs show: expected exactly one FILE");
  const file = positionals[0]!;
  const bytes = await readFile(file);
  if (bytes.length > MAX_PEM_BYTES)
    throw new CliError(`certs show: ${file} is larger than ${MAX_PEM_BYTES} bytes`);
  const blocks = decodePemBlocks(bytes.toString("utf8"));
  if (blocks.length === 0) throw new CliError(`certs show: no PEM block in ${file}`);
  const out: string[] = [];
  for (const block of blocks) {
    if (block.label === "CERTIFICATE") out.push(describeCertificate(parseCertificate(block.der)));
    else if (block.label === "CERTIFICATE REQUEST") {
      const csr = parseCsr(block.der);
      out.push(
        [
          "certificate request",
          `  subject:   ${csr.subject}`,
          `  algorithm: ${csr.keyAlgorithm}`,
          `  names:     ${[...csr.subjectAltNames.dnsNames, ...csr.subjectAltNames.ipAddresses.map(formatIpAddress)].join(", ") || "(none)"}`,
        ].join("\n"),
      );
    } else if (block.label === "PRIVATE KEY") {
      const key = decodePrivateKey(block.der);
      key.privateKey.fill(0);
      out.push(`private key\n  algorithm: ${key.algorithm}`);
    } else out.push(`${block.label} (not shown)`);
  }
  io.stdout(`${out.join("\n\n")}\n`);
}

function describeCertificate(c: ParsedCertificate): string {
  const ext = c.extensions;
  const names = [
    ...(ext.subjectAltName?.dnsNames ?? []),
    ...(ext.subjectAltName?.ipAddresses ?? []).map(formatIpAddress),
  ];
  const bc = ext.basicConstraints;
  const lines = [
    "certificate",
    `  subject:   ${c.subject}`,
    `  issuer:    ${c.issuer}`,
    `  serial:    ${c.serialNumber}`,
    `  algorithm: ${c.keyAlgorithm} key, signed with ${c.signatureAlgorithm}`,
    `  validity:  ${c.notBefore.toISOString()} .. ${c.notAfter.toISOString()}`,
    `  names:     ${names.join(", ") || "(none)"}`,
    `  ca:        ${bc?.ca ? `yes${bc.pathLen !== undefined ? ` (pathLen ${bc.pathLen})` : ""}` : "no"}`,
  ];
  if (ext.keyUsage) lines.push(`  key usage: ${[...ext.keyUsage].join(", ")}`);
  if (ext.extendedKeyUsage) lines.push(`  ext usage: ${ext.extendedKeyUsage.map(ekuName).join(", ")}`);
  return lines.join("\n");
}

const EKU_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(EXTENDED_KEY_USAGE_OIDS).map(([name, oid]) => [oid, name]),
);

function ekuName(oid: string): string {
  return EKU_NAMES[oid] ?? oid;
}
