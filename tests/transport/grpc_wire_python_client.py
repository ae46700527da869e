#!/usr/bin/env python3
"""A gRPC client nobody here wrote (Python's grpcio) against svckit's own gRPC wire (grpc_wire_test.cpp).

    grpc_wire_python_client.py HOST:PORT

Calls /greeter.Greeter/SayHello and /greeter.Greeter/Later the ways a Python service would: a plain call,
an error, metadata with a -bin key, a deadline that passes, a call it cancels, a message just under 4 MiB
and one over, and a client stream of two messages or none to a unary method. Prints one line per check ("name: ok" or what went wrong) and exits 0 only if every check
passed. Messages are encoded by hand (HelloRequest/HelloReply: field 1, a string), so no generated code is
needed.
"""
import sys
import time

import grpc

from grpc_test_messages import Checks, hello, text


def main():
    channel = grpc.insecure_channel(sys.argv[1], options=[("grpc.max_send_message_length", 16 << 20),
                                                           ("grpc.max_receive_message_length", 16 << 20)])
    say = channel.unary_unary("/greeter.Greeter/SayHello")
    later = channel.unary_unary("/greeter.Greeter/Later")
    check = Checks()

    def expect_error(call, code, details=None):
        try:
            call()
        except grpc.RpcError as e:
            if e.code() != code:
                return f"{e.code().name} ({e.details()}), want {code.name}"
            if details is not None and e.details() != details:
                return f"details {e.details()!r}, want {details!r}"
            return None
        return f"succeeded, want {code.name}"

    check("unary", lambda: None if text(say(hello("py"), timeout=10)) == "hello py (2 bytes)" else "wrong reply")
    check("error", lambda: expect_error(lambda: say(hello(""), timeout=10), grpc.StatusCode.INVALID_ARGUMENT,
                                        "name is empty: ünïcode % kept"))
    check("metadata", lambda: None if text(say(hello("meta"), timeout=10, metadata=[
        ("x-tag", "green"), ("x-request-id", "py-req-7"), ("x-blob-bin", b"\x00\x01\xff")])) == "hello meta (4 bytes)" else "wrong reply")
    check("deadline", lambda: expect_error(lambda: later(hello("60000"), timeout=0.3), grpc.StatusCode.DEADLINE_EXCEEDED))

    def cancel():
        future = later.future(hello("60000"), timeout=30)
        time.sleep(0.2)  # the call is on its way; the server notices the RST_STREAM whenever it comes
        future.cancel()
        return None if future.cancelled() else "not cancelled"
    check("cancel", cancel)
    big = "x" * ((4 << 20) - 16)
    check("large", lambda: None if text(say(hello(big), timeout=30)) == "hello " + big[:64] + f" ({len(big)} bytes)" else "wrong reply")
    check("over the limit", lambda: expect_error(lambda: say(hello("y" * (5 << 20)), timeout=30),
                                                 grpc.StatusCode.RESOURCE_EXHAUSTED))
    # A client-streaming call to a unary method: two messages, or none, is an error, not a guess.
    as_stream = channel.stream_unary("/greeter.Greeter/SayHello")
    check("two messages", lambda: expect_error(lambda: as_stream(iter([hello("a"), hello("b")]), timeout=10),
                                               grpc.StatusCode.INTERNAL))
    check("no message", lambda: expect_error(lambda: as_stream(iter([]), timeout=10), grpc.StatusCode.INTERNAL))
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
