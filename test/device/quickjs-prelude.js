// What the host gives the guest besides bytes (QuickJS has no Web APIs):
// randomness (crypto.getRandomValues over the host's CSPRNG) and UTF-8
// TextEncoder/TextDecoder. Nothing here does I/O or keeps time.
(() => {
  const hostRandom = globalThis.__hostRandom;
  globalThis.crypto = {
    getRandomValues(array) {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      bytes.set(new Uint8Array(hostRandom(bytes.length)));
      return array;
    },
  };
  class Utf8Encoder {
    encode(text) {
      const out = [];
      for (let i = 0; i < text.length; i++) {
        let c = text.charCodeAt(i);
        if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
          const d = text.charCodeAt(i + 1);
          if (d >= 0xdc00 && d < 0xe000) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
          }
        }
        if (c < 0x80) out.push(c);
        else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
        else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
        else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      }
      return new Uint8Array(out);
    }
  }
  class Utf8Decoder {
    constructor(_label, options) {
      this.fatal = !!options?.fatal;
    }
    decode(bytes) {
      const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes || []);
      let s = "";
      for (let i = 0; i < b.length; ) {
        const x = b[i++];
        let c;
        if (x < 0x80) c = x;
        else if (x >= 0xc2 && x < 0xe0 && i < b.length) c = ((x & 31) << 6) | (b[i++] & 63);
        else if (x >= 0xe0 && x < 0xf0 && i + 1 < b.length)
          c = ((x & 15) << 12) | ((b[i++] & 63) << 6) | (b[i++] & 63);
        else if (x >= 0xf0 && x < 0xf5 && i + 2 < b.length)
          c = ((x & 7) << 18) | ((b[i++] & 63) << 12) | ((b[i++] & 63) << 6) | (b[i++] & 63);
        else if (this.fatal) throw new TypeError("invalid UTF-8");
        else c = 0xfffd;
        s += String.fromCodePoint(c);
      }
      return s;
    }
  }
  globalThis.TextEncoder = Utf8Encoder;
  globalThis.TextDecoder = Utf8Decoder;
})();
