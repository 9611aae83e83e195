/**
 * The pqhc/1 static table (SPEC §Header compression): the header names and
 * (name, value) pairs that RPC calls send most. Indices 0..STATIC_TABLE.length-1
 * of the shared index space; the order is part of the wire format — never
 * reorder, only append in a new protocol version.
 */
export const STATIC_TABLE: readonly (readonly [name: string, value: string])[] = [
  [":path", ""],
  [":authority", ""],
  ["content-type", "application/grpc"],
  ["content-type", "application/grpc+proto"],
  ["content-type", "application/grpc+json"],
  ["content-type", "application/proto"],
  ["content-type", "application/json"],
  ["grpc-timeout", ""],
  ["grpc-encoding", "identity"],
  ["grpc-encoding", "gzip"],
  ["grpc-accept-encoding", "identity,gzip"],
  ["grpc-accept-encoding", "identity,deflate,gzip"],
  ["user-agent", ""],
  ["te", "trailers"],
  [":method", "POST"],
  [":scheme", "https"],
  [":scheme", "http"],
  ["authorization", ""],
  ["grpc-status-details-bin", ""],
  ["grpc-trace-bin", ""],
  ["traceparent", ""],
  ["tracestate", ""],
  ["x-request-id", ""],
  ["grpc-previous-rpc-attempts", ""],
  ["accept-encoding", "identity,gzip"],
  ["content-encoding", "gzip"],
  ["connect-protocol-version", "1"],
  ["x-user-agent", ""],
];

/** "name\0value" -> index, for whole-pair matches. */
export const STATIC_PAIR_INDEX: ReadonlyMap<string, number> = new Map(
  STATIC_TABLE.map(([n, v], i) => [`${n}\0${v}`, i] as const).reverse(),
);

/** name -> first index with that name, for name references. */
export const STATIC_NAME_INDEX: ReadonlyMap<string, number> = new Map(
  STATIC_TABLE.map(([n], i) => [n, i] as const).reverse(),
);
