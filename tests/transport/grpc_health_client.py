#!/usr/bin/env python3
"""A gRPC client nobody here wrote (Python's grpcio): calls grpc.health.v1.Health/Check on an svckit server.

    grpc_health_client.py HOST:PORT [--ca CA.crt] [--cert C.crt --key C.key] [--server-name NAME]

With --ca it dials a secure_channel (TLS, the CA as root, optionally a client certificate); without, an
insecure one. Prints SERVING/NOT_SERVING/... and exits 0, or prints the gRPC error and exits 1.
The request and reply are encoded by hand (HealthCheckRequest{} is empty; the reply is field 1, a varint),
so no generated code is needed.
"""
import argparse
import sys

import grpc

STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    ap.add_argument("--ca")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--server-name")
    a = ap.parse_args()
    if a.ca:
        read = lambda p: open(p, "rb").read() if p else None
        creds = grpc.ssl_channel_credentials(read(a.ca), read(a.key), read(a.cert))
        options = [("grpc.ssl_target_name_override", a.server_name)] if a.server_name else []
        channel = grpc.secure_channel(a.target, creds, options)
    else:
        channel = grpc.insecure_channel(a.target)
    check = channel.unary_unary("/grpc.health.v1.Health/Check")
    try:
        reply = check(b"", timeout=5)
    except grpc.RpcError as e:
        print(f"{e.code().name}: {e.details()}")
        return 1
    status = reply[1] if len(reply) >= 2 and reply[0] == 0x08 else 0
    print(STATUS.get(status, str(status)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
