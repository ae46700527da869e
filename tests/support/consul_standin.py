#!/usr/bin/python3
"""A STAND-IN for a Consul agent, for svckit's tests: Debian has no Consul server.

It implements the part of Consul's documented HTTP API (https://developer.hashicorp.com/consul/api-docs) that
svckit's consul:// registry uses, the way Consul documents it:
  PUT /v1/agent/service/register              body: ID, Name, Address, Port, Meta, Check (TTL; GRPC +
                                              Interval/Timeout, GRPCUseTLS; HTTP + Method, Interval/Timeout;
                                              DeregisterCriticalServiceAfter)
  PUT /v1/agent/service/deregister/<id>
  PUT /v1/agent/check/pass/<check id>         a TTL check passes for TTL more (404 for an unknown check)
  GET /v1/agent/service/<id>                  the service as registered (404 when unknown)
  GET /v1/health/service/<name>?passing       entries {Node, Service, Checks}; a blocking query with
                                              index=N&wait=Ns answers when the index moves past N or at the
                                              wait (default 5 min, at most 10 min), X-Consul-Index always set
  GET /v1/catalog/services                    {"name": [tags]}
  GET /v1/status/leader                       "127.0.0.1:8300"
Checks run for real: a TTL check goes critical when not passed in time; a gRPC check calls
grpc.health.v1.Health/Check on the service's address every Interval (through python3-grpcio) and passes on
SERVING; an HTTP check requests its URL every Interval and, as Consul's, passes on 2xx, warns on 429 and is
critical otherwise (a warning is not passing either). A service critical for longer than DeregisterCriticalServiceAfter is removed.

ACLs: with --acl-token every /v1/ request must carry that token in X-Consul-Token (403 otherwise), as a
Consul with ACLs on and a default policy of deny answers a client without a token that allows it.

What it does not model: more than one node (every service is on node "standin"), the catalog and KV beyond
the above, ACL policies (one token allows everything), datacenters, tags filtering, TCP/script checks, HTTPS checks, anti-entropy, and Consul's
raft: state is in memory and gone when the process stops (as an agent that lost its local state).

Test hooks (not Consul's): PUT /debug/index/<n> sets the index to n (as after a snapshot restore, which
moves it backwards); PUT /debug/index-zero/<0|1> makes every answer carry X-Consul-Index: 0 (a broken proxy)
and GET /debug/queries counts the health queries answered so far.
"""
import argparse
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import standin_tls  # tests/support/standin_tls.py, beside this script

try:
    import grpc
except ImportError:  # gRPC checks then always fail, with that reason
    grpc = None

lock = threading.Condition()
state = {"index": 1, "services": {}, "checks": {}, "queries": 0, "index_zero": False}
acl_token = None  # --acl-token: every /v1/ request must carry it in X-Consul-Token


def duration(text, default):
    """Consul durations: "10s", "500ms", "1m"."""
    if not text:
        return default
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", str(text))
    if not m:
        raise ValueError("bad duration %r" % text)
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def bump():
    """Every change moves the index and wakes blocking queries (call with the lock held)."""
    state["index"] += 1
    lock.notify_all()


def set_status(check_id, status, output=""):
    with lock:
        c = state["checks"].get(check_id)
        if not c:
            return
        c["Output"] = output
        if c["Status"] == status:
            return
        c["Status"] = status
        c["critical_since"] = time.monotonic() if status == "critical" else None
        bump()


def grpc_check(target, use_tls, timeout):
    if grpc is None:
        return False, "python3-grpcio is not installed"
    try:
        channel = grpc.secure_channel(target, grpc.ssl_channel_credentials()) if use_tls else grpc.insecure_channel(target)
        with channel:
            check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                        request_serializer=lambda b: b, response_deserializer=lambda b: b)
            reply = check(b"", timeout=timeout)  # HealthCheckRequest{service: ""}
        # HealthCheckResponse{status = 1 (SERVING)}: field 1, varint.
        return reply == b"\x08\x01", "status bytes %r" % reply
    except Exception as e:  # noqa: BLE001 - any failure is a failing check
        return False, str(e)


no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # an agent dials the instance itself


def http_check(url, method, timeout):
    """Consul's HTTP check: 2xx passing, 429 warning, anything else (or no answer) critical."""
    try:
        with no_proxy.open(urllib.request.Request(url, method=method), timeout=timeout) as r:
            code = r.status
    except urllib.error.HTTPError as e:
        code = e.code
    except Exception as e:  # noqa: BLE001 - no answer is a failing check
        return "critical", "%s %s: %s" % (method, url, e)
    status = "passing" if 200 <= code < 300 else "warning" if code == 429 else "critical"
    return status, "HTTP %s %s: %d" % (method, url, code)


def run_checks():
    """The agent's check runner: TTL expiry, gRPC probes, deregistration of long-critical services."""
    next_probe = {}
    while True:
        now = time.monotonic()
        with lock:
            checks = [(cid, dict(c)) for cid, c in state["checks"].items()]
        for cid, c in checks:
            if c["kind"] == "ttl" and now > c["expires"]:
                set_status(cid, "critical", "TTL expired")
            elif c["kind"] == "grpc" and now >= next_probe.get(cid, 0):
                next_probe[cid] = now + c["interval"]
                ok, why = grpc_check(c["target"], c["tls"], c["timeout"])
                set_status(cid, "passing" if ok else "critical", why)
            elif c["kind"] == "http" and now >= next_probe.get(cid, 0):
                next_probe[cid] = now + c["interval"]
                set_status(cid, *http_check(c["url"], c["method"], c["timeout"]))
        with lock:
            for cid, c in list(state["checks"].items()):
                since = c.get("critical_since")
                if c["deregister_after"] and since and now - since > c["deregister_after"]:
                    state["services"].pop(c["ServiceID"], None)
                    state["checks"].pop(cid, None)
                    bump()
        time.sleep(0.05)


def health_entries(name, passing_only):
    out = []
    for sid, s in sorted(state["services"].items()):
        if s["Service"] != name:
            continue
        checks = [c for c in state["checks"].values() if c["ServiceID"] == sid]
        if passing_only and any(c["Status"] != "passing" for c in checks):
            continue
        out.append({
            "Node": {"Node": "standin", "Address": "127.0.0.1", "Datacenter": "dc1"},
            "Service": s,
            "Checks": [{k: c[k] for k in ("CheckID", "Name", "Status", "Output", "ServiceID", "ServiceName")}
                       for c in checks],
        })
    return out


class Agent(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY (which Consul, in Go, has) each answer on a
    # kept-alive connection waits ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet: the test's log is the service's
        pass

    def reply(self, code, body=None, index=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if index is not None:
            self.send_header("X-Consul-Index", str(0 if state["index_zero"] else index))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"null")

    def denied(self):
        """With ACLs on (default policy deny): 403 for a request without the token, as Consul answers."""
        if acl_token is None or not self.path.startswith("/v1/") or self.headers.get("X-Consul-Token") == acl_token:
            return False
        self.reply(403, "ACL not found" if self.headers.get("X-Consul-Token") else "Permission denied")
        return True

    def do_PUT(self):
        if self.denied():
            return
        path = urlparse(self.path).path
        try:
            if path == "/v1/agent/service/register":
                return self.register(self.body())
            m = re.fullmatch(r"/v1/agent/service/deregister/(.+)", path)
            if m:
                with lock:
                    state["services"].pop(m.group(1), None)
                    for cid in [k for k, c in state["checks"].items() if c["ServiceID"] == m.group(1)]:
                        del state["checks"][cid]
                    bump()
                return self.reply(200)
            m = re.fullmatch(r"/v1/agent/check/pass/(.+)", path)
            if m:
                with lock:
                    c = state["checks"].get(m.group(1))
                    if not c or c["kind"] != "ttl":
                        return self.reply(404, "CheckID %s does not have associated TTL" % m.group(1))
                    c["expires"] = time.monotonic() + c["ttl"]
                set_status(m.group(1), "passing", "TTL passed")
                return self.reply(200)
            m = re.fullmatch(r"/debug/index/(\d+)", path)
            if m:
                with lock:
                    state["index"] = int(m.group(1))
                    lock.notify_all()
                return self.reply(200)
            m = re.fullmatch(r"/debug/index-zero/([01])", path)
            if m:
                with lock:
                    state["index_zero"] = m.group(1) == "1"
                    lock.notify_all()
                return self.reply(200)
            return self.reply(404, "no such endpoint")
        except (ValueError, KeyError, TypeError) as e:
            return self.reply(400, "Request decode failed: %s" % e)

    def register(self, b):
        sid = b.get("ID") or b["Name"]
        service = {"ID": sid, "Service": b["Name"], "Address": b.get("Address", ""), "Port": b.get("Port", 0),
                   "Tags": b.get("Tags") or [], "Meta": b.get("Meta") or {}}
        checks = {}
        chk = b.get("Check")
        if chk:
            cid = chk.get("CheckID") or "service:" + sid
            c = {"CheckID": cid, "Name": "Service '%s' check" % b["Name"], "Status": "critical", "Output": "",
                 "ServiceID": sid, "ServiceName": b["Name"], "critical_since": time.monotonic(),
                 "deregister_after": duration(chk.get("DeregisterCriticalServiceAfter"), 0)}
            if chk.get("TTL"):
                c.update(kind="ttl", ttl=duration(chk["TTL"], 0), expires=time.monotonic() + duration(chk["TTL"], 0))
            elif chk.get("GRPC"):
                c.update(kind="grpc", target=chk["GRPC"], tls=bool(chk.get("GRPCUseTLS")),
                         interval=duration(chk.get("Interval"), 10), timeout=duration(chk.get("Timeout"), 10))
            elif chk.get("HTTP"):
                if not re.match(r"https?://", chk["HTTP"]):
                    return self.reply(400, "Invalid check: HTTP must be an http:// or https:// URL")
                c.update(kind="http", url=chk["HTTP"], method=chk.get("Method") or "GET",
                         interval=duration(chk.get("Interval"), 10), timeout=duration(chk.get("Timeout"), 10))
            else:
                return self.reply(400, "Invalid check: only TTL, GRPC and HTTP checks are modelled by this stand-in")
            checks[cid] = c
        with lock:
            state["services"][sid] = service
            for cid in [k for k, c in state["checks"].items() if c["ServiceID"] == sid]:
                del state["checks"][cid]
            state["checks"].update(checks)
            bump()
        return self.reply(200)

    def do_GET(self):
        if self.denied():
            return
        url = urlparse(self.path)
        q = parse_qs(url.query, keep_blank_values=True)
        if url.path == "/v1/status/leader":
            return self.reply(200, "127.0.0.1:8300")
        if url.path == "/debug/queries":
            with lock:
                return self.reply(200, state["queries"])
        m = re.fullmatch(r"/v1/agent/service/([^/]+)", url.path)
        if m:
            with lock:
                s = state["services"].get(m.group(1))
                return self.reply(200, s) if s else self.reply(404, "unknown service ID: %s" % m.group(1))
        if url.path == "/v1/catalog/services":
            with lock:
                names = {}
                for s in state["services"].values():
                    names.setdefault(s["Service"], s["Tags"])
                return self.reply(200, names, state["index"])
        m = re.fullmatch(r"/v1/health/service/([^/]+)", url.path)
        if not m:
            return self.reply(404, "no such endpoint")
        try:
            wanted = int(q.get("index", ["0"])[0])
            wait = min(duration(q.get("wait", [""])[0], 300), 600)
        except ValueError as e:
            return self.reply(400, str(e))
        deadline = time.monotonic() + wait
        with lock:
            # Blocking: answer once the index moved past the one the client saw, or at the wait.
            while wanted and state["index"] <= wanted and not state["index_zero"]:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                lock.wait(left)
            state["queries"] += 1
            return self.reply(200, health_entries(m.group(1), "passing" in q), state["index"])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    standin_tls.add_arguments(p)
    p.add_argument("--acl-token", help="require this token (X-Consul-Token) on every /v1/ request")
    args = p.parse_args()
    global acl_token
    acl_token = args.acl_token
    threading.Thread(target=run_checks, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Agent)
    server.daemon_threads = True
    standin_tls.wrap(server, args)
    print("consul stand-in listening on 127.0.0.1:%d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
