// What a page imports; the test bundles it for the browser with plain esbuild.
import { connect, createClient } from "pqrpc/web";

export { connect, createClient };
