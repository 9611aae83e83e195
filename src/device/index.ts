/**
 * pqrpc/device: the event-driven client for constrained devices (PSK
 * profile). Bring your own crypto: on a JS runtime without WebCrypto the host
 * supplies `globalThis.crypto.getRandomValues`, and createDeviceCrypto()
 * builds the rest from pure-JS primitives.
 */
export {
  type CallOptions,
  createDeviceClient,
  DEFAULT_DEVICE_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_DEVICE_MAX_MESSAGE_BYTES,
  DEFAULT_DEVICE_RECORD_SIZE_LIMIT,
  DEFAULT_DEVICE_SETTINGS,
  DeviceClient,
  type DeviceClientOptions,
  type DeviceEvent,
} from "./device-client.ts";
export { createDeviceCrypto } from "./device-crypto.ts";
export { DeviceError, type DeviceErrorCode } from "./device-error.ts";
export { decodeSleepState, encodeSleepState, MAX_SLEEP_TICKET_BYTES } from "./sleep-state.ts";
