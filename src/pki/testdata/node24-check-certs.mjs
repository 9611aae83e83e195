// Run by Node 24 (OpenSSL 3.5): loads a `pqrpc certs init` directory with node:crypto and node:tls and
// prints what OpenSSL thinks of it as one JSON line. Usage: node node24-check-certs.mjs DIR
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect, createServer } from "node:tls";

const dir = process.argv[2];
const read = (name) => readFileSync(`${dir}/${name}`, "utf8");
const spki = (key) => key.export({ type: "spki", format: "der" }).toString("hex");

const ca = new X509Certificate(read("ca.pem"));
const result = { leaves: {} };
for (const name of ["server", "client"]) {
  const leaf = new X509Certificate(read(`${name}.pem`));
  const key = createPrivateKey(read(`${name}.key`));
  result.leaves[name] = {
    verifiedByCa: leaf.verify(ca.publicKey),
    checkIssued: leaf.checkIssued(ca),
    keyType: key.asymmetricKeyType,
    keyMatches: spki(createPublicKey(key)) === spki(leaf.publicKey),
    keyUsage: leaf.keyUsage ?? null,
    subjectAltName: leaf.subjectAltName ?? null,
  };
}
result.caSelfSigned = ca.verify(ca.publicKey);
result.caIsCa = ca.ca;
result.caKeyType = createPrivateKey(read("ca.key")).asymmetricKeyType;

const server = createServer(
  {
    key: read("server.key"),
    cert: read("server.pem"),
    ca: read("ca.pem"),
    requestCert: true,
    rejectUnauthorized: true,
  },
  (socket) => {
    result.clientAuthorized = socket.authorized;
    socket.end("pong");
  },
);
server.listen(0, "127.0.0.1", () => {
  const socket = connect(
    {
      host: "127.0.0.1",
      port: server.address().port,
      ca: read("ca.pem"),
      servername: "localhost",
      key: read("client.key"),
      cert: read("client.pem"),
    },
    () => {
      result.handshake = { authorized: socket.authorized, protocol: socket.getProtocol() };
    },
  );
  socket.on("data", (d) => {
    result.reply = d.toString();
  });
  const finish = (error) => {
    if (error) result.error = error.message;
    server.close();
    process.stdout.write(`${JSON.stringify(result)}\n`);
  };
  socket.on("end", () => finish());
  socket.on("error", finish);
});
