#!/usr/bin/env python3
"""Python's grpcio as the SERVER for svckit's own gRPC wire client (grpc_wire_client_test.cpp starts it and
calls it): unary, server-, client- and bidirectional-streaming methods, by bytes.

    grpc_wire_python_server.py

Serves on 127.0.0.1, a port of its own choosing, and prints "port N" once serving; prints "ended: METHOD"
when a Sleep or Hold call ends (cancelled or past its deadline: the client told it); exits on SIGTERM.

  /test.Py/Echo  unary: "NAME|x-tag|x-blob-bin as hex|deadline or none"; INVALID_ARGUMENT if NAME is "fail"
  /test.Py/Count server stream: NAME is a count N; replies "0" .. "N-1"
  /test.Py/Join  client stream: one reply, "COUNT NAMES" (names joined by ",")
  /test.Py/Chat  bidirectional: "echo NAME" for each request, as each comes
  /test.Py/Sleep unary: answers nothing until the call is over
  /test.Py/Hold  bidirectional: replies "held", then reads nothing until the call is over
"""
import signal
import sys
import threading
from concurrent import futures

import grpc

from grpc_test_messages import hello, text

# HelloReply has HelloRequest's shape (field 1, a string): hello() makes either.
reply = hello


def name_of(request):
    return text(request) if request else ""


def echo(request, context):
    name = name_of(request)
    if name == "fail":
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "told to fail: ünïcode % kept")
    md = dict(context.invocation_metadata())
    blob = md.get("x-blob-bin", b"")
    deadline = "deadline" if context.time_remaining() is not None else "none"
    return reply(f"{name}|{md.get('x-tag', '')}|{blob.hex()}|{deadline}")


def count(request, context):
    for i in range(int(name_of(request))):
        yield reply(str(i))


def join(requests, context):
    names = [name_of(r) for r in requests]
    return reply(f"{len(names)} {','.join(names)}")


def chat(requests, context):
    for r in requests:
        yield reply("echo " + name_of(r))


def when_over(method, context):
    """Prints "ended: METHOD" when the call is over (whatever its handler is doing then); an event set then."""
    over = threading.Event()

    def ended():
        print(f"ended: {method}", flush=True)
        over.set()

    if not context.add_callback(ended):  # the call is over already
        ended()
    return over


def sleep(request, context):
    when_over("Sleep", context).wait(60)
    return reply("slept")


def hold(requests, context):
    over = when_over("Hold", context)  # (before the reply: once the call is over, grpcio may not resume us)
    yield reply("held")
    over.wait(60)


def main():
    handlers = {
        "Echo": grpc.unary_unary_rpc_method_handler(echo),
        "Count": grpc.unary_stream_rpc_method_handler(count),
        "Join": grpc.stream_unary_rpc_method_handler(join),
        "Chat": grpc.stream_stream_rpc_method_handler(chat),
        "Sleep": grpc.unary_unary_rpc_method_handler(sleep),
        "Hold": grpc.stream_stream_rpc_method_handler(hold),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Py", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"port {port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: server.stop(0))
    server.wait_for_termination()
    return 0


if __name__ == "__main__":
    sys.exit(main())
