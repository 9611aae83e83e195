/**
 * Installs Node's Buffer.allocUnsafeSlow as the allocator of
 * allocUninitialized() (src/bytes/bytes.ts): the hot paths' gathers and
 * record buffers, which overwrite every byte, skip zero-filling a fresh
 * ArrayBuffer (the larger cost on Node 24). Imported for its effect by the
 * Node adapters (src/transport/tls-socket.ts, src/protocol/frames/session.ts).
 * allocUnsafeSlow, not allocUnsafe: memory of its own, never a slice of the
 * shared pool, so a view kept by the application pins only its own bytes.
 */
import { Buffer } from "node:buffer";
import { useUninitializedAllocator } from "../bytes/bytes.ts";

useUninitializedAllocator((length) => Buffer.allocUnsafeSlow(length));
