"""Protobuf by hand for the Python gRPC test clients (grpc_wire_python_client.py, grpc_wire_python_stream.py):
greeter's HelloRequest and HelloReply are both field 1, a string, so no generated code is needed."""


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def hello(name):
    """A HelloRequest's bytes."""
    data = name.encode()
    return b"\x0a" + varint(len(data)) + data


def text(reply):
    """Field 1 of a HelloReply."""
    assert reply[0] == 0x0A, reply[:8]
    i, n, shift = 1, 0, 0
    while True:
        b = reply[i]
        n |= (b & 0x7F) << shift
        shift += 7
        i += 1
        if not b & 0x80:
            break
    return reply[i:i + n].decode()


class Checks:
    """Runs named checks, printing "name: ok" or what went wrong (an exception is a failed check, with its
    reason); exit_code() is 0 only if every check passed."""

    def __init__(self):
        self.failed = 0

    def __call__(self, name, fn):
        try:
            problem = fn()
        except Exception as e:
            problem = f"{type(e).__name__}: {e}"
        print(f"{name}: {problem or 'ok'}", flush=True)
        self.failed += bool(problem)

    def exit_code(self):
        return 1 if self.failed else 0
