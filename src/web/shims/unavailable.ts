/**
 * Stands in for Node modules that browser code reaches only through code it
 * never runs (e.g. node:net in connectTls, beside the tlsConnect the web
 * client uses). Calling anything here is a bundling mistake, reported as such.
 */
function unavailable(): never {
  throw new Error("pqrpc/web: a Node-only function was called in the browser");
}

export const connect = unavailable;
export const createConnection = unavailable;
export const readFile = unavailable;
