/**
 * Names and figures fixed by gRPC's doc/interop-test-descriptions.md, shared
 * by the TestService handlers and the client cases so the two cannot drift.
 */

/** Echo Metadata: the server returns this request header in its response headers. */
export const ECHO_INITIAL_HEADER = "x-grpc-test-echo-initial";
/** Echo Metadata: the server returns this binary request header in its trailers. */
export const ECHO_TRAILING_HEADER = "x-grpc-test-echo-trailing-bin";

/** large_unary and custom_metadata: request payload and requested response size, in bytes. */
export const LARGE_REQUEST_BYTES = 271_828;
export const LARGE_RESPONSE_BYTES = 314_159;

/** client_streaming: request payload sizes in bytes, and their sum the server must report. */
export const CLIENT_STREAMING_REQUEST_BYTES = [27_182, 8, 1_828, 45_904] as const;
export const CLIENT_STREAMING_AGGREGATE_BYTES = 74_922;

/** server_streaming and ping_pong: response payload sizes in bytes, in order. */
export const STREAMING_RESPONSE_BYTES = [31_415, 9, 2_653, 58_979] as const;

/** status_code_and_message: code 2 (UNKNOWN) with this text. */
export const TEST_STATUS_MESSAGE = "test status message";
/** special_status_message: whitespace, a BMP and a non-BMP character must survive percent-encoding. */
export const SPECIAL_STATUS_MESSAGE =
  "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP \u{1F608}\t\n";
