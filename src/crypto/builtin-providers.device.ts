/**
 * The providers a device build starts with: none. A device hands its Crypto
 * to the device client (src/device/device-crypto.ts) and the process-wide
 * selection is never used, so nothing of node:crypto or WebAssembly is
 * carried. Used instead of ./builtin-providers.ts by scripts/build-device.mjs.
 */
export {};
