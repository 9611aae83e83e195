/** Text renderings for command output. */

/** Dotted IPv4, or RFC 5952 IPv6 text (lowercase, longest zero run compressed). */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join(".");
  const words: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < words.length; ) {
    let j = i;
    while (j < words.length && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
