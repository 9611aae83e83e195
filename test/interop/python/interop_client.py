"""gRPC's interop test cases (doc/interop-test-descriptions.md in grpc/grpc),
as a client of stock grpcio with its default TLS settings: the Python peer of
test/interop/python.test.ts. Shares no code with pqrpc, so it judges pqrpc
from outside; its TLS is grpcio's BoringSSL.

Usage:
  PYTHONPATH=tools/python-peers/gen tools/python-peers/venv/bin/python \\
    interop_client.py --port N --ca ca.pem [--host 127.0.0.1] \\
    [--server-name localhost] [--cases empty_unary,large_unary,...]

Prints one JSON line per case, {"case", "ok", "error", "durationMs"}, in the
order given, then {"event": "done"}. Exits 0 when every case passed, 1 when
one failed, 2 on bad arguments.

Each case makes the calls its description lists and checks what "Client
asserts" says there (plus the optional check that payloads are all zeros).
"""

import argparse
import json
import queue
import sys
import time

import grpc
from pqrpc_interop.grpc.testing import empty_pb2, messages_pb2, test_pb2_grpc

# Figures fixed by the interop description.
LARGE_REQUEST_BYTES = 271_828
LARGE_RESPONSE_BYTES = 314_159
CLIENT_STREAMING_REQUEST_BYTES = (27_182, 8, 1_828, 45_904)
CLIENT_STREAMING_AGGREGATE_BYTES = 74_922
STREAMING_RESPONSE_BYTES = (31_415, 9, 2_653, 58_979)
PING_PONG_REQUEST_BYTES = (27_182, 8, 1_828, 45_904)
ECHO_INITIAL_HEADER = "x-grpc-test-echo-initial"
ECHO_INITIAL_VALUE = "test_initial_metadata_value"
ECHO_TRAILING_HEADER = "x-grpc-test-echo-trailing-bin"
ECHO_TRAILING_VALUE = b"\xab\xab\xab"
ECHO_STATUS_CODE = 2  # UNKNOWN
TEST_STATUS_MESSAGE = "test status message"
SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"

# timeout_on_sleeping_server's deadline, seconds (1 ms).
SLEEPING_SERVER_TIMEOUT_S = 0.001
# Deadline of every other call, seconds: a hang fails the case as DEADLINE_EXCEEDED
# instead of stalling the run. Generous: the test machine is slow and shared.
CALL_TIMEOUT_S = 30.0
# cancel_after_begin cancels "after metadata has been sent but before payloads are
# sent": grpcio has no hook for "headers written", so this pause lets them go out.
CANCEL_AFTER_BEGIN_DELAY_S = 0.02


class CaseFailure(Exception):
    """A check of the interop description failed: what was expected and what came."""


class RequestQueue:
    """A request iterator fed while the call runs, so the next request can wait for a response."""

    _END = object()

    def __init__(self):
        self._items = queue.Queue()

    def push(self, request):
        self._items.put(request)

    def close(self):
        self._items.put(self._END)

    def __iter__(self):
        return self

    def __next__(self):
        item = self._items.get()
        if item is self._END:
            self._items.put(self._END)  # stay closed for any later read
            raise StopIteration
        return item


def check(condition, message):
    if not condition:
        raise CaseFailure(message)


def zeros(size):
    return messages_pb2.Payload(body=bytes(size))


def check_payload(payload, size, what):
    actual = len(payload.body)
    check(actual == size, f"{what} payload body is {actual} bytes, expected {size}")
    check(payload.body.count(0) == actual, f"{what} payload body is not all zeros")


def check_count(actual, expected):
    check(actual == expected, f"received {actual} responses, expected exactly {expected}")


def status_text(code, details):
    return code.name + ("" if details is None else " " + json.dumps(details))


def expect_status(call, code, details, what):
    """Runs `call()`, which must fail with `code` (and exactly `details`, when given)."""
    expected = status_text(code, details)
    try:
        call()
    except grpc.RpcError as e:
        got_code, got_details = e.code(), e.details()
        check(
            got_code == code and (details is None or got_details == details),
            f"{what} ended with {status_text(got_code, got_details)}; expected {expected}",
        )
        return
    raise CaseFailure(f"{what} succeeded; expected status {expected}")


def ping_request(index):
    return messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=STREAMING_RESPONSE_BYTES[index])],
        payload=zeros(PING_PONG_REQUEST_BYTES[index]),
    )


def metadata_value(metadata, key):
    for k, v in metadata or ():
        if k == key:
            return v
    return None


def check_echoed_metadata(call, what):
    initial = metadata_value(call.initial_metadata(), ECHO_INITIAL_HEADER)
    check(
        initial == ECHO_INITIAL_VALUE,
        f"{what} initial metadata {ECHO_INITIAL_HEADER} is {initial!r}, expected {ECHO_INITIAL_VALUE!r}",
    )
    trailing = metadata_value(call.trailing_metadata(), ECHO_TRAILING_HEADER)
    check(
        trailing == ECHO_TRAILING_VALUE,
        f"{what} trailing metadata {ECHO_TRAILING_HEADER} is {trailing!r}, expected {ECHO_TRAILING_VALUE!r}",
    )


# ---------------------------------------------------------------- the cases


def empty_unary(test, _unimplemented):
    reply = test.EmptyCall(empty_pb2.Empty(), timeout=CALL_TIMEOUT_S)
    check(isinstance(reply, empty_pb2.Empty), f"response is a {type(reply).__name__}, not a grpc.testing.Empty")


def large_unary(test, _unimplemented):
    reply = test.UnaryCall(
        messages_pb2.SimpleRequest(response_size=LARGE_RESPONSE_BYTES, payload=zeros(LARGE_REQUEST_BYTES)),
        timeout=CALL_TIMEOUT_S,
    )
    check_payload(reply.payload, LARGE_RESPONSE_BYTES, "response")


def client_streaming(test, _unimplemented):
    requests = (messages_pb2.StreamingInputCallRequest(payload=zeros(n)) for n in CLIENT_STREAMING_REQUEST_BYTES)
    reply = test.StreamingInputCall(requests, timeout=CALL_TIMEOUT_S)
    check(
        reply.aggregated_payload_size == CLIENT_STREAMING_AGGREGATE_BYTES,
        f"aggregated_payload_size is {reply.aggregated_payload_size}, expected {CLIENT_STREAMING_AGGREGATE_BYTES}",
    )


def server_streaming(test, _unimplemented):
    request = messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=n) for n in STREAMING_RESPONSE_BYTES]
    )
    count = 0
    for reply in test.StreamingOutputCall(request, timeout=CALL_TIMEOUT_S):
        check(count < len(STREAMING_RESPONSE_BYTES), f"more than {len(STREAMING_RESPONSE_BYTES)} responses")
        check_payload(reply.payload, STREAMING_RESPONSE_BYTES[count], f"response {count}")
        count += 1
    check_count(count, len(STREAMING_RESPONSE_BYTES))


def ping_pong(test, _unimplemented):
    requests = RequestQueue()
    try:
        requests.push(ping_request(0))
        count = 0
        for reply in test.FullDuplexCall(requests, timeout=CALL_TIMEOUT_S):
            check(count < len(STREAMING_RESPONSE_BYTES), f"more than {len(STREAMING_RESPONSE_BYTES)} responses")
            check_payload(reply.payload, STREAMING_RESPONSE_BYTES[count], f"response {count}")
            count += 1
            # The next request goes out only after the reply to the previous one: full duplex.
            if count < len(STREAMING_RESPONSE_BYTES):
                requests.push(ping_request(count))
            else:
                requests.close()
        check_count(count, len(STREAMING_RESPONSE_BYTES))
    finally:
        requests.close()


def empty_stream(test, _unimplemented):
    count = sum(1 for _ in test.FullDuplexCall(iter(()), timeout=CALL_TIMEOUT_S))
    check_count(count, 0)


def custom_metadata(test, _unimplemented):
    metadata = ((ECHO_INITIAL_HEADER, ECHO_INITIAL_VALUE), (ECHO_TRAILING_HEADER, ECHO_TRAILING_VALUE))
    reply, call = test.UnaryCall.with_call(
        messages_pb2.SimpleRequest(response_size=LARGE_RESPONSE_BYTES, payload=zeros(LARGE_REQUEST_BYTES)),
        metadata=metadata,
        timeout=CALL_TIMEOUT_S,
    )
    check_payload(reply.payload, LARGE_RESPONSE_BYTES, "UnaryCall response")
    check_echoed_metadata(call, "UnaryCall")

    request = messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=LARGE_RESPONSE_BYTES)],
        payload=zeros(LARGE_REQUEST_BYTES),
    )
    responses = test.FullDuplexCall(iter((request,)), metadata=metadata, timeout=CALL_TIMEOUT_S)
    count = 0
    for reply in responses:
        check_payload(reply.payload, LARGE_RESPONSE_BYTES, "FullDuplexCall response")
        count += 1
    check_count(count, 1)
    check_echoed_metadata(responses, "FullDuplexCall")


def status_code_and_message(test, _unimplemented):
    status = messages_pb2.EchoStatus(code=ECHO_STATUS_CODE, message=TEST_STATUS_MESSAGE)
    expect_status(
        lambda: test.UnaryCall(messages_pb2.SimpleRequest(response_status=status), timeout=CALL_TIMEOUT_S),
        grpc.StatusCode.UNKNOWN,
        TEST_STATUS_MESSAGE,
        "UnaryCall",
    )
    request = messages_pb2.StreamingOutputCallRequest(response_status=status)
    expect_status(
        lambda: list(test.FullDuplexCall(iter((request,)), timeout=CALL_TIMEOUT_S)),
        grpc.StatusCode.UNKNOWN,
        TEST_STATUS_MESSAGE,
        "FullDuplexCall",
    )


def special_status_message(test, _unimplemented):
    status = messages_pb2.EchoStatus(code=ECHO_STATUS_CODE, message=SPECIAL_STATUS_MESSAGE)
    expect_status(
        lambda: test.UnaryCall(messages_pb2.SimpleRequest(response_status=status), timeout=CALL_TIMEOUT_S),
        grpc.StatusCode.UNKNOWN,
        SPECIAL_STATUS_MESSAGE,
        "UnaryCall",
    )


def unimplemented_method(test, _unimplemented):
    expect_status(
        lambda: test.UnimplementedCall(empty_pb2.Empty(), timeout=CALL_TIMEOUT_S),
        grpc.StatusCode.UNIMPLEMENTED,
        None,
        "TestService/UnimplementedCall",
    )


def unimplemented_service(_test, unimplemented):
    expect_status(
        lambda: unimplemented.UnimplementedCall(empty_pb2.Empty(), timeout=CALL_TIMEOUT_S),
        grpc.StatusCode.UNIMPLEMENTED,
        None,
        "UnimplementedService/UnimplementedCall",
    )


def cancel_after_begin(test, _unimplemented):
    requests = RequestQueue()
    try:
        future = test.StreamingInputCall.future(requests, timeout=CALL_TIMEOUT_S)
        time.sleep(CANCEL_AFTER_BEGIN_DELAY_S)
        future.cancel()
        code = future.code()  # blocks until the call has ended
        check(
            code == grpc.StatusCode.CANCELLED,
            f"StreamingInputCall ended with {code.name}; expected status CANCELLED",
        )
    finally:
        requests.close()


def cancel_after_first_response(test, _unimplemented):
    requests = RequestQueue()
    try:
        requests.push(ping_request(0))
        responses = test.FullDuplexCall(requests, timeout=CALL_TIMEOUT_S)
        first = next(responses)
        check_payload(first.payload, STREAMING_RESPONSE_BYTES[0], "response 0")
        responses.cancel()
        # Reading on must now fail with CANCELLED, not deliver a second response.
        expect_status(lambda: next(responses), grpc.StatusCode.CANCELLED, None, "FullDuplexCall")
    finally:
        requests.close()


def timeout_on_sleeping_server(test, _unimplemented):
    requests = RequestQueue()
    try:
        requests.push(messages_pb2.StreamingOutputCallRequest(payload=zeros(PING_PONG_REQUEST_BYTES[0])))
        expect_status(
            lambda: list(test.FullDuplexCall(requests, timeout=SLEEPING_SERVER_TIMEOUT_S)),
            grpc.StatusCode.DEADLINE_EXCEEDED,
            None,
            "FullDuplexCall",
        )
    finally:
        requests.close()


CASES = {
    f.__name__: f
    for f in (
        empty_unary,
        large_unary,
        client_streaming,
        server_streaming,
        ping_pong,
        empty_stream,
        custom_metadata,
        status_code_and_message,
        special_status_message,
        unimplemented_method,
        unimplemented_service,
        cancel_after_begin,
        cancel_after_first_response,
        timeout_on_sleeping_server,
    )
}


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True, help="PEM file of the CA to trust")
    parser.add_argument("--server-name", default="localhost", help="TLS and :authority name")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    args = parser.parse_args(argv)
    names = [n for n in args.cases.split(",") if n]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)} (known: {', '.join(CASES)})")

    with open(args.ca, "rb") as f:
        root_certificates = f.read()
    # Default TLS settings: only the CA and the name to verify are ours.
    credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
    options = (("grpc.ssl_target_name_override", args.server_name),)
    failed = 0
    with grpc.secure_channel(f"{args.host}:{args.port}", credentials, options=options) as channel:
        test = test_pb2_grpc.TestServiceStub(channel)
        unimplemented = test_pb2_grpc.UnimplementedServiceStub(channel)
        for name in names:
            started = time.monotonic()
            result = {"case": name, "ok": True}
            try:
                CASES[name](test, unimplemented)
            except CaseFailure as e:
                result = {"case": name, "ok": False, "error": str(e)}
            except grpc.RpcError as e:
                result = {"case": name, "ok": False, "error": f"RPC failed: {status_text(e.code(), e.details())}"}
            except Exception as e:  # noqa: BLE001 - any other failure is the case's, reported, not a crash
                result = {"case": name, "ok": False, "error": f"{type(e).__name__}: {e}"}
            result["durationMs"] = round((time.monotonic() - started) * 1000, 1)
            failed += 0 if result["ok"] else 1
            emit(result)
    emit({"event": "done", "failed": failed})
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
