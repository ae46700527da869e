#!/usr/bin/env python3
"""Python's grpcio against svckit's own gRPC wire: client and bidirectional streaming
(grpc_wire_bidi_test.cpp starts the server).

    grpc_wire_python_bidi.py HOST:PORT

Calls /test.Bidi/Echo (a reply per request, as each comes; a stream it cancels; a deadline that passes)
and /test.Bidi/Join (one reply after the last request; an error). One line per check ("name: ok" or what
went wrong); exit 0 only if all passed.
"""
import queue
import sys

import grpc

from grpc_test_messages import Checks, hello, text


def main():
    target = sys.argv[1]
    channel = grpc.insecure_channel(target)
    echo = channel.stream_stream("/test.Bidi/Echo")
    join = channel.stream_unary("/test.Bidi/Join")
    hold = channel.stream_stream("/test.Bidi/Hold")
    check = Checks()

    def bidi():
        # The next request goes only after the reply to the last: replies must come before the end.
        requests = queue.Queue()
        names = ["a", "b", "c"]
        requests.put(hello(names[0]))

        def gen():
            while (r := requests.get()) is not None:
                yield r

        got = []
        for reply in echo(gen(), timeout=20):
            got.append(text(reply))
            requests.put(hello(names[len(got)]) if len(got) < len(names) else None)
        return None if got == ["echo a", "echo b", "echo c"] else f"got {got}"

    def client_stream():
        reply = join(iter([hello("p"), hello("q")]), timeout=20)
        return None if text(reply) == "2 2 p,q" else f"got {text(reply)!r}"

    def client_stream_error():
        try:
            join(iter([hello("p"), hello("fail")]), timeout=20)
        except grpc.RpcError as e:
            ok = e.code() == grpc.StatusCode.INVALID_ARGUMENT and e.details() == "told to fail after 1"
            return None if ok else f"{e.code().name} {e.details()!r}"
        return "no error"

    def bidi_cancel():
        requests = queue.Queue()
        requests.put(hello("a"))
        call = echo(iter(requests.get, None), timeout=20)
        reply = next(call)
        call.cancel()
        if text(reply) != "echo a":
            return f"got {text(reply)!r}"
        return None if call.code() == grpc.StatusCode.CANCELLED else f"{call.code()}"

    def bidi_deadline():
        requests = queue.Queue()  # never sends anything, never half-closes
        try:
            for _ in hold(iter(requests.get, None), timeout=0.5):
                pass
        except grpc.RpcError as e:
            return None if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED else f"{e.code().name}"
        return "the stream ended without an error"

    check("bidi", bidi)
    check("client stream", client_stream)
    check("client stream error", client_stream_error)
    check("bidi cancel", bidi_cancel)
    check("bidi deadline", bidi_deadline)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
