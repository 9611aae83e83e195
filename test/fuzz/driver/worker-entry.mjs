// A worker's entry module is loaded before --import hooks apply to it (Node 20), so it registers tsx itself.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
