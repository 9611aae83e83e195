/**
 * Record-layer throughput: seal and open of 16 KiB application-data records,
 * per cipher suite and per crypto provider that offers the suite's AEAD.
 *   npx tsx bench/record-layer.ts
 *   tools/node24/node_modules/.bin/node --import tsx bench/record-layer.ts
 * "seal+open" is the rate of one connection end doing both (1 / (1/seal + 1/open));
 * "AEAD seal" is the provider's bare AEAD on the same sizes: the ceiling the record layer works under.
 */
import { CIPHER_SUITES } from "../src/crypto/registry.ts";
import { createCrypto } from "../src/crypto/select.ts";
import type { ProviderName } from "../src/crypto/types.ts";
import {
  ContentType,
  MAX_PLAINTEXT_BYTES,
  RecordDeframer,
  RecordProtector,
} from "../src/tls/record-layer.ts";
import { bestRate } from "./best-rate.ts";

const RECORD_BYTES = MAX_PLAINTEXT_BYTES; // 16 KiB, the largest record
const BATCH_RECORDS = 256; // records sealed once, then opened repeatedly (4 MiB)
const RUN_MS = 400;
const REPEATS = 3;
const PROVIDERS: ProviderName[] = ["node", "noble"];

/** MB/s of `round`, which handles `recordsPerRound` full-size records (see best-rate.ts). */
function rate(recordsPerRound: number, round: () => void): number {
  return bestRate(recordsPerRound * RECORD_BYTES, round, RUN_MS, REPEATS);
}

console.log(`record layer: ${RECORD_BYTES}-byte application-data records, Node ${process.version}`);
console.log("suite                          provider  seal MB/s  open MB/s  seal+open MB/s  AEAD seal MB/s");
for (const suite of CIPHER_SUITES) {
  for (const provider of PROVIDERS) {
    const crypto = createCrypto({ providers: [provider] });
    const secret = crypto.randomBytes(crypto.hash(suite.hash).outputLength);
    const data = crypto.randomBytes(RECORD_BYTES);

    const sealer = new RecordProtector(crypto, suite, secret);
    const seal = rate(BATCH_RECORDS, () => {
      for (let i = 0; i < BATCH_RECORDS; i++) sealer.seal(ContentType.application_data, data);
    });

    // One byte stream of BATCH_RECORDS records from sequence 0, deframed and opened each round.
    const batchSealer = new RecordProtector(crypto, suite, secret);
    const records: Uint8Array[] = [];
    for (let i = 0; i < BATCH_RECORDS; i++)
      records.push(batchSealer.seal(ContentType.application_data, data));
    const open = rate(BATCH_RECORDS, () => {
      const opener = new RecordProtector(crypto, suite, secret);
      const deframer = new RecordDeframer();
      for (const bytes of records) {
        deframer.push(bytes);
        opener.open(deframer.next()!);
      }
    });

    const aead = crypto.aead(suite.aead).importKey(crypto.randomBytes(crypto.aead(suite.aead).keyLength));
    const nonce = new Uint8Array(12);
    const aad = new Uint8Array(5);
    const inner = crypto.randomBytes(RECORD_BYTES + 1);
    const bare = rate(BATCH_RECORDS, () => {
      for (let i = 0; i < BATCH_RECORDS; i++) {
        nonce[11] = i;
        aead.seal(nonce, inner, aad);
      }
    });

    const both = 1 / (1 / seal + 1 / open);
    console.log(
      `${suite.name.padEnd(30)} ${provider.padEnd(8)} ${seal.toFixed(0).padStart(9)}  ${open.toFixed(0).padStart(9)}  ${both.toFixed(0).padStart(14)}  ${bare.toFixed(0).padStart(14)}`,
    );
  }
}
