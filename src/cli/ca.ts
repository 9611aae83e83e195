/**
 * `pqrpc ca serve | token | enroll`: a certificate authority for short-lived
 * certificates (src/services/ca/):
 *
 *   pqrpc ca serve --ca-cert F --ca-key F [--tokens FILE] [--lifetime S] [--port N] [--host H]
 *                  [--cert F --key F] [--san a,b] [--policy NAME]
 *   pqrpc ca token --tokens FILE --names a,b [--ttl S]       prints a one-time token
 *   pqrpc ca enroll ADDR --ca F --token T --out DIR [--names a,b] [--alg NAME]
 *                                                            writes DIR/server.pem, DIR/server.key
 *
 * `serve` answers Enroll (a token from --tokens, which it rewrites as tokens
 * are used) and Renew (the caller's current certificate as its TLS client
 * certificate, verified against --ca-cert). Without --cert/--key it serves
 * TLS with a certificate it issues itself for --san (default localhost,
 * 127.0.0.1). `pqrpc serve --renew ADDR` keeps a server's files renewed.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SIGNATURE_NAMES } from "../crypto/algorithm-names.ts";
import { defaultCrypto } from "../crypto/select.ts";
import type { SignatureName } from "../crypto/types.ts";
import { readSecretFile, writeSecretFile } from "../node/secret-file.ts";
import { issueCertificate } from "../pki/issue.ts";
import { generateKeyPair, publicKeyInfo } from "../pki/keys.ts";
import { createVerifier } from "../pki/trust-store.ts";
import type { CertifiedKey } from "../pki/types.ts";
import { createServer } from "../server/server.ts";
import {
  addCertificateAuthorityService,
  DEFAULT_CA_CERTIFICATE_LIFETIME_SECONDS,
  MAX_CA_CERTIFICATE_LIFETIME_SECONDS,
  MIN_CA_CERTIFICATE_LIFETIME_SECONDS,
} from "../services/ca/ca-service.ts";
import {
  DEFAULT_ENROLLMENT_TOKEN_TTL_SECONDS,
  EnrollmentTokens,
  MAX_ENROLLMENT_TOKEN_FILE_BYTES,
} from "../services/ca/enrollment-tokens.ts";
import { createCertificateRenewer, type RenewedIdentity } from "../services/ca/renewer.ts";
import { DEFAULT_POLICY, POLICIES, type PolicyName } from "../tls/policy.ts";
import { parseAddress } from "./address.ts";
import { CliError, type CliIo } from "./cli-error.ts";
import { loadIdentityFiles, loadTrustFile } from "./load-files.ts";
import { nextTerminationSignal } from "./serve.ts";
import { commandUsage } from "./usage.ts";

const USAGE = commandUsage("ca");
/** Port of `pqrpc ca serve` when --port is not given. */
export const DEFAULT_CA_PORT = 50_052;
/** Lifetime of the certificate `ca serve` issues itself for its own TLS, s. */
const SELF_CERTIFICATE_DAYS = 30;
/** Longest --ttl of a token, s. */
const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

function names(value: string | undefined, flag: string): string[] {
  const list = (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (value !== undefined && list.length === 0) throw new CliError(`ca: ${flag} needs at least one name`);
  return list;
}

function seconds(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new CliError(`ca: ${flag} must be a whole number of seconds from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

async function loadTokens(path: string): Promise<EnrollmentTokens> {
  const crypto = defaultCrypto();
  if (!existsSync(path)) return EnrollmentTokens.empty(crypto);
  return EnrollmentTokens.parse(await readSecretFile(path, MAX_ENROLLMENT_TOKEN_FILE_BYTES), crypto);
}

async function caServe(args: string[], io: CliIo, until: () => Promise<unknown>): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "ca-cert": { type: "string" },
      "ca-key": { type: "string" },
      tokens: { type: "string" },
      lifetime: { type: "string" },
      port: { type: "string", default: String(DEFAULT_CA_PORT) },
      host: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      san: { type: "string" },
      policy: { type: "string" },
    },
    strict: true,
  });
  if (!values["ca-cert"] || !values["ca-key"])
    throw new CliError(`ca serve: --ca-cert and --ca-key are required\n${USAGE}`);
  if ((values.cert === undefined) !== (values.key === undefined))
    throw new CliError("ca serve: --cert and --key go together");
  const policy = (values.policy ?? DEFAULT_POLICY) as PolicyName;
  if (!Object.hasOwn(POLICIES, policy)) {
    throw new CliError(
      `ca serve: unknown --policy "${policy}" (one of: ${Object.keys(POLICIES).join(", ")})`,
    );
  }
  const lifetimeSeconds = seconds(
    values.lifetime,
    "--lifetime",
    MIN_CA_CERTIFICATE_LIFETIME_SECONDS,
    MAX_CA_CERTIFICATE_LIFETIME_SECONDS,
    DEFAULT_CA_CERTIFICATE_LIFETIME_SECONDS,
  );
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65_535)
    throw new CliError(`ca serve: bad --port "${values.port}"`);
  const issuer = await loadIdentityFiles(
    { flag: "--ca-cert", path: values["ca-cert"] },
    { flag: "--ca-key", path: values["ca-key"] },
  );
  const caCert = issuer.chain[0]!;
  const identity: CertifiedKey =
    values.cert !== undefined
      ? await loadIdentityFiles({ flag: "--cert", path: values.cert }, { flag: "--key", path: values.key! })
      : selfCertificate(issuer, names(values.san ?? "localhost,127.0.0.1", "--san"));
  const tokensPath = values.tokens;
  const tokens = tokensPath === undefined ? undefined : await loadTokens(tokensPath);
  const server = createServer({
    identity,
    policy,
    // Renew authenticates by client certificate; Enroll comes without one.
    clientAuth: "request",
    trust: createVerifier({ roots: [caCert] }),
    health: true,
    reflection: true,
  });
  addCertificateAuthorityService(server, {
    issuer,
    lifetimeSeconds,
    policy,
    ...(tokens === undefined
      ? {}
      : { tokens, saveTokens: () => writeSecretFile(tokensPath!, tokens.format()) }),
    onIssued: (e) =>
      io.stdout(
        `pqrpc ca: ${e.kind} ${e.names.join(",")} (${e.keyAlgorithm}, serial ${e.serialNumber}) ` +
          `until ${e.notAfter.toISOString()} for ${e.peer}\n`,
      ),
  });
  const stop = until();
  const address = await server.listen({ port, ...(values.host === undefined ? {} : { host: values.host }) });
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  io.stdout(
    `pqrpc ca: listening on ${host}:${address.port} (certificates for ${lifetimeSeconds} s, policy ${policy}` +
      `${tokens === undefined ? ", no enrollment tokens" : `, ${tokens.size} enrollment token(s)`})\n`,
  );
  await stop;
  await server.close();
}

/** A server certificate for the CA's own TLS, issued by the CA it serves. */
function selfCertificate(issuer: CertifiedKey, sans: string[]): CertifiedKey {
  const crypto = defaultCrypto();
  const key = generateKeyPair(issuer.key.algorithm, crypto);
  const leaf = issueCertificate({
    subject: { organization: "pqrpc", commonName: `pqrpc CA service (${sans[0]})` },
    publicKey: publicKeyInfo(key),
    signingKey: issuer.key,
    issuerCertificate: issuer.chain[0]!,
    extendedKeyUsage: ["serverAuth"],
    subjectAltNames: sans,
    validityDays: SELF_CERTIFICATE_DAYS,
    crypto,
  });
  return { chain: [leaf, ...issuer.chain], key: key.signingKey };
}

async function caToken(args: string[], io: CliIo): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { tokens: { type: "string" }, names: { type: "string" }, ttl: { type: "string" } },
    strict: true,
  });
  if (!values.tokens || !values.names)
    throw new CliError(`ca token: --tokens and --names are required\n${USAGE}`);
  const ttl = seconds(values.ttl, "--ttl", 60, MAX_TOKEN_TTL_SECONDS, DEFAULT_ENROLLMENT_TOKEN_TTL_SECONDS);
  const tokens = await loadTokens(values.tokens);
  const now = Date.now();
  const token = tokens.issue({ names: names(values.names, "--names"), expiresMs: now + ttl * 1000 }, now);
  await writeSecretFile(values.tokens, tokens.format());
  // The token alone on stdout, for scripts; it is stored only as a hash.
  io.stdout(`${token}\n`);
  io.stderr(
    `pqrpc ca: one-time token for ${values.names}, valid until ${new Date(now + ttl * 1000).toISOString()}\n`,
  );
}

async function caEnroll(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ca: { type: "string" },
      token: { type: "string" },
      out: { type: "string" },
      names: { type: "string" },
      alg: { type: "string", default: "ml-dsa-65" },
      servername: { type: "string" },
    },
    strict: true,
    allowPositionals: true,
  });
  const [addr] = positionals;
  if (addr === undefined || !values.ca || !values.token || !values.out) {
    throw new CliError(`ca enroll: ADDR, --ca, --token and --out are required\n${USAGE}`);
  }
  if (!SIGNATURE_NAMES.includes(values.alg as SignatureName)) {
    throw new CliError(`ca enroll: unknown --alg "${values.alg}" (one of: ${SIGNATURE_NAMES.join(", ")})`);
  }
  const target = parseAddress(addr);
  let renewed: RenewedIdentity | undefined;
  await createCertificateRenewer({
    address: `${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`,
    trust: await loadTrustFile("--ca", values.ca),
    serverName: values.servername ?? target.host,
    token: values.token,
    names: names(values.names, "--names"),
    algorithm: values.alg as SignatureName,
    onIdentity: (r) => void (renewed = r),
  }).renewNow();
  await mkdir(values.out, { recursive: true });
  await writeRenewedFiles(join(values.out, "server.pem"), join(values.out, "server.key"), renewed!);
  io.stdout(
    `pqrpc ca: wrote ${join(values.out, "server.pem")} and server.key, valid until ${renewed!.notAfter.toISOString()}\n`,
  );
}

/** The new key first, then the chain, each replaced whole: a reader never pairs a chain with another key for long. */
export async function writeRenewedFiles(
  certPath: string,
  keyPath: string,
  renewed: RenewedIdentity,
): Promise<void> {
  await writeSecretFile(keyPath, renewed.keyPem);
  await writeSecretFile(certPath, renewed.chainPem);
}

export async function runCa(
  args: string[],
  io: CliIo,
  until: () => Promise<unknown> = nextTerminationSignal,
): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "serve":
      return caServe(rest, io, until);
    case "token":
      return caToken(rest, io);
    case "enroll":
      return caEnroll(rest, io);
    default:
      throw new CliError(`ca: unknown subcommand "${sub ?? ""}" (serve, token or enroll)\n${USAGE}`);
  }
}
