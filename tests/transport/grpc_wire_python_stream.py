#!/usr/bin/env python3
"""Python's grpcio against svckit's own gRPC wire: server streaming and the health service
(grpc_wire_stream_test.cpp starts the server).

    grpc_wire_python_stream.py HOST:PORT WATCHING_FILE

Calls /test.Stream/Count and /test.Stream/Forever (messages in order, an error after some messages, a
stream it cancels, a deadline that passes) and grpc.health.v1.Health (Check; Watch, which must say SERVING,
then NOT_SERVING once the test flips it: the script writes WATCHING_FILE when its Watch has said SERVING, so
the test knows when to flip). One line per check ("name: ok" or what went wrong); exit 0 only if all passed.
Messages are encoded by hand (HelloRequest/HelloReply: field 1, a string; the health messages: field 1).
"""
import sys

import grpc

from grpc_test_messages import Checks, hello, text


SERVING, NOT_SERVING = 1, 2


def status_of(reply):
    return reply[1] if len(reply) == 2 and reply[0] == 0x08 else -1


def main():
    target, watching_file = sys.argv[1], sys.argv[2]
    channel = grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", 16 << 20)])
    count = channel.unary_stream("/test.Stream/Count")
    forever = channel.unary_stream("/test.Stream/Forever")
    check_health = channel.unary_unary("/grpc.health.v1.Health/Check")
    watch_health = channel.unary_stream("/grpc.health.v1.Health/Watch")
    check = Checks()

    def stream():
        got = [text(m) for m in count(hello("50 100000"), timeout=20)]
        if len(got) != 50:
            return f"{len(got)} messages, want 50"
        for i, t in enumerate(got):
            if t != f"{i}:" + "x" * 100000:
                return f"message {i} is wrong"
        return None

    def stream_error():
        got = []
        try:
            for m in count(hello("4 3 fail"), timeout=10):
                got.append(m)
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.FAILED_PRECONDITION or e.details() != "stopped after 4 %":
                return f"{e.code().name} {e.details()!r}"
            return None if len(got) == 4 else f"{len(got)} messages before the error, want 4"
        return "no error"

    def stream_cancel():
        call = forever(hello(""), timeout=20)
        for n, _ in enumerate(call):
            if n == 10:
                call.cancel()
                break
        return None if call.code() == grpc.StatusCode.CANCELLED else f"{call.code()}"

    def stream_deadline():
        try:
            for _ in forever(hello(""), timeout=0.3):
                pass
        except grpc.RpcError as e:
            return None if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED else f"{e.code().name}"
        return "the stream ended without an error"

    def health_check():
        reply = check_health(b"", timeout=5)
        return None if status_of(reply) == SERVING else f"status {status_of(reply)}"

    def watch():
        seen = []
        for m in watch_health(b"", timeout=20):
            seen.append(status_of(m))
            if seen == [SERVING]:
                open(watching_file, "w").close()
            if seen[-1] == NOT_SERVING:
                break
        return None if seen == [SERVING, NOT_SERVING] else f"saw {seen}"

    check("stream", stream)
    check("stream error", stream_error)
    check("stream cancel", stream_cancel)
    check("stream deadline", stream_deadline)
    check("check", health_check)
    check("watch", watch)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
