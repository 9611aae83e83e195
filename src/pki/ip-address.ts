/**
 * Strict IP literal parsing for subjectAltName iPAddress matching
 * (RFC 5280 §4.2.1.6: 4 octets for IPv4, 16 for IPv6). Comparing bytes, not
 * strings, makes "::1" and "0:0::1" the same address.
 */

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** Longest IPv6 literal text: 8 groups of 4 hex digits and 7 colons, or with an embedded IPv4 tail. */
const MAX_IP_TEXT_CHARS = 45;

export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!IPV4_PART.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

export function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const words: number[] = [];
  const pushGroups = (list: string[], target: number[]): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i]!;
      // RFC 4291 §2.2 form 3: a dotted IPv4 tail counts as two groups.
      if (i === list.length - 1 && g.includes(".")) {
        const v4 = parseIpv4(g);
        if (!v4) return false;
        target.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!IPV6_GROUP.test(g)) return false;
      target.push(Number.parseInt(g, 16));
    }
    return true;
  };
  const tailWords: number[] = [];
  if (!pushGroups(head, words) || !pushGroups(tail, tailWords)) return undefined;
  if (head.some((g) => g.includes(".")) && tail.length > 0) return undefined;
  const missing = 8 - words.length - tailWords.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...words, ...new Array<number>(missing).fill(0), ...tailWords];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Parses an IPv4 or IPv6 literal (IPv6 optionally in brackets); undefined when `text` is not one. */
export function parseIpAddress(text: string): Uint8Array | undefined {
  if (text.length > MAX_IP_TEXT_CHARS + 2) return undefined;
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  return bare.includes(":") ? parseIpv6(bare) : parseIpv4(bare);
}

/**
 * The address as text every IP parser reads the same way: dotted quad, or
 * all eight IPv6 groups in hex (no "::", no dotted IPv4 tail). The ASN.1
 * library turns iPAddress text into bytes with its own parser, which gets
 * "::ffff:1.2.3.4" wrong (it encodes ::ffff:0.1) and throws a plain Error
 * on "1:2:3:4:5:6:1.2.3.4"; handing it this form keeps its bytes ours.
 */
export function canonicalIpText(address: Uint8Array): string {
  if (address.length === 4) return address.join(".");
  const groups: string[] = [];
  for (let i = 0; i < address.length; i += 2)
    groups.push(((address[i]! << 8) | address[i + 1]!).toString(16));
  return groups.join(":");
}
