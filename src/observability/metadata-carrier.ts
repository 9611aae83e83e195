/**
 * W3C trace context (`traceparent`, `tracestate`) in call metadata, for
 * OpenTelemetry's propagators: both wire protocols carry metadata, so one
 * getter and setter serve gRPC over h2 and pqrpc/1.
 */
import type { TextMapGetter, TextMapSetter } from "@opentelemetry/api";
import type { Metadata } from "../rpc/metadata.ts";

export const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => [...carrier.keys()],
  get(carrier, key) {
    const value = carrier.get(key);
    return typeof value === "string" ? value : undefined;
  },
};

export const metadataSetter: TextMapSetter<Metadata> = {
  set(carrier, key, value) {
    try {
      carrier.set(key, value);
    } catch {
      // A propagator's header that gRPC metadata cannot carry is left out; the call goes on.
    }
  },
};
