#!/usr/bin/python3
"""A STAND-IN for a Nacos server's naming service, for svckit's tests: Debian has no Nacos (a Java service).

It implements the part of Nacos's documented open API (https://nacos.io/docs/latest/guide/user/open-api/, v1
naming) that svckit's nacos:// registry uses, under /nacos; parameters come in the query string or a form body:
  POST   /nacos/v1/ns/instance        register (serviceName, groupName, namespaceId, clusterName, ip, port,
                                      weight, enabled, healthy, ephemeral, metadata as JSON): "ok"
  PUT    /nacos/v1/ns/instance        modify an instance's weight, enabled, metadata: "ok"
  DELETE /nacos/v1/ns/instance        deregister: "ok"
  PUT    /nacos/v1/ns/instance/beat   a heartbeat: {"clientBeatInterval", "code": 10200, "lightBeatEnabled"};
                                      code 20404 for an instance it does not know
  GET    /nacos/v1/ns/instance/list   {"name", "groupName", "cacheMillis", "hosts": [...], ...}; healthyOnly
  GET    /nacos/v1/ns/service/list    {"count", "doms": [...]}
  POST   /nacos/v1/auth/login         (username, password) {"accessToken", "tokenTtl"}; 403 "unknown user!"
With --credentials user:password auth is on: every /nacos/v1/ns/ request needs a valid accessToken= (403
"token invalid!" or "token expired!" otherwise), as with nacos.core.auth.enabled=true.
Service names are grouped as Nacos does ("<group>@@<service>"; a plain name with groupName is grouped here).
Namespaces are separate (the public one is ""). Ephemeral instances are checked as Nacos checks them: unhealthy
after preserved.heart.beat.timeout ms without a beat (default 15000), removed after preserved.ip.delete.timeout
(default 30000), both read from the instance's metadata.

What it does not model: clusters of Nacos servers (Distro/raft), persistent instances and the server's own
health probes, the protection threshold, UDP push to subscribers, Nacos 2's gRPC API, users, roles and
permissions beyond one account, config service,
and persistence: state is in memory and gone when the process stops.

Test hooks (not Nacos's): POST /debug/raw?serviceName=G@@S[&namespaceId=] stores the body, any JSON value, as a
host of that service as it is (an entry some other client wrote badly); GET /debug/beats and /debug/logins
count beats and logins; POST /debug/revoke-tokens forgets every token (as if they had expired); POST
/debug/login-answer makes every later login answer its body as it is (200), whatever the credentials (a hostile
server or a proxy in its place).
"""
import argparse
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import standin_tls  # tests/support/standin_tls.py, beside this script

lock = threading.Lock()
services = {}  # (namespace, "group@@service") -> {key: instance dict}
counters = {"beats": 0, "logins": 0}
auth = {"credentials": None, "ttl": 18000, "tokens": {}, "answer": None}  # tokens: token -> expiry (monotonic)


def grouped(p):
    name = p.get("serviceName", "")
    if not name:
        raise ValueError("Param 'serviceName' is required")
    return name if "@@" in name else p.get("groupName", "DEFAULT_GROUP") + "@@" + name


def key_of(p):
    return "%s#%s#%s" % (p["ip"], int(p["port"]), p.get("clusterName", "DEFAULT"))


def check_health():
    while True:
        time.sleep(0.05)
        now = time.monotonic()
        with lock:
            for svc in list(services):
                for k, i in list(services[svc].items()):
                    if not isinstance(i, dict) or "last_beat" not in i:
                        continue
                    meta = i.get("metadata") or {}
                    idle = (now - i["last_beat"]) * 1000
                    if idle > float(meta.get("preserved.ip.delete.timeout", 30000)):
                        del services[svc][k]
                    elif idle > float(meta.get("preserved.heart.beat.timeout", 15000)):
                        i["healthy"] = False


def public(i):
    return {k: v for k, v in i.items() if k != "last_beat"} if isinstance(i, dict) else i


class Server(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body in two writes: no delayed-ACK wait

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def params(self):
        url = urlparse(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        p = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if raw and "json" not in (self.headers.get("Content-Type") or ""):
            p.update({k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()})
        return url.path, p, raw

    def handle_any(self, method):
        path, p, raw = self.params()
        try:
            with lock:
                return self.dispatch(method, path, p, raw)
        except (ValueError, KeyError, TypeError) as e:
            return self.reply(400, "caused: %s;" % e)

    def dispatch(self, method, path, p, raw):
        ns = p.get("namespaceId", "")
        if path == "/debug/beats":
            return self.reply(200, counters["beats"])
        if path == "/debug/logins":
            return self.reply(200, counters["logins"])
        if path == "/debug/revoke-tokens" and method == "POST":
            auth["tokens"].clear()
            return self.reply(200, "ok")
        if path == "/debug/login-answer" and method == "POST":
            auth["answer"] = raw.decode("latin-1")
            return self.reply(200, "ok")
        if path == "/nacos/v1/auth/login" and method == "POST":
            counters["logins"] += 1
            if auth["answer"] is not None:
                return self.reply(200, auth["answer"])
            if auth["credentials"] != "%s:%s" % (p.get("username"), p.get("password")):
                return self.reply(403, "unknown user!")
            token = secrets.token_hex(16)
            auth["tokens"][token] = time.monotonic() + auth["ttl"]
            return self.reply(200, {"accessToken": token, "tokenTtl": auth["ttl"], "globalAdmin": False})
        if auth["credentials"] is not None and path.startswith("/nacos/v1/ns/"):
            expires = auth["tokens"].get(p.get("accessToken", ""))
            if expires is None or time.monotonic() > expires:
                return self.reply(403, "token invalid!" if expires is None else "token expired!")
        if path == "/debug/raw" and method == "POST":
            services.setdefault((ns, grouped(p)), {})["raw-%d" % time.monotonic_ns()] = json.loads(raw)
            return self.reply(200, "ok")
        if path == "/nacos/v1/ns/instance":
            svc = (ns, grouped(p))
            if method == "POST":
                meta = json.loads(p["metadata"]) if p.get("metadata") else {}
                inst = {"instanceId": key_of(p) + "#" + svc[1], "ip": p["ip"], "port": int(p["port"]),
                        "weight": float(p.get("weight", 1)), "healthy": p.get("healthy", "true") == "true",
                        "enabled": p.get("enabled", "true") == "true", "ephemeral": p.get("ephemeral", "true") == "true",
                        "clusterName": p.get("clusterName", "DEFAULT"), "serviceName": svc[1], "metadata": meta}
                if inst["ephemeral"]:
                    inst["last_beat"] = time.monotonic()
                services.setdefault(svc, {})[key_of(p)] = inst
                return self.reply(200, "ok")
            inst = services.get(svc, {}).get(key_of(p))
            if method == "DELETE":
                services.get(svc, {}).pop(key_of(p), None)
                return self.reply(200, "ok")
            if method == "PUT":
                if not inst:
                    return self.reply(400, "caused: instance not exist;")
                if "weight" in p:
                    inst["weight"] = float(p["weight"])
                if "enabled" in p:
                    inst["enabled"] = p["enabled"] == "true"
                if p.get("metadata"):
                    inst["metadata"] = json.loads(p["metadata"])
                return self.reply(200, "ok")
        if path == "/nacos/v1/ns/instance/beat" and method == "PUT":
            counters["beats"] += 1
            inst = services.get((ns, grouped(p)), {}).get(key_of(p))
            if not inst:
                return self.reply(200, {"clientBeatInterval": 5000, "code": 20404, "lightBeatEnabled": True})
            inst["last_beat"] = time.monotonic()
            inst["healthy"] = True
            interval = int((inst.get("metadata") or {}).get("preserved.heart.beat.interval", 5000))
            return self.reply(200, {"clientBeatInterval": interval, "code": 10200, "lightBeatEnabled": True})
        if path == "/nacos/v1/ns/instance/list" and method == "GET":
            name = grouped(p)
            hosts = [public(i) for _, i in sorted(services.get((ns, name), {}).items())]
            if p.get("healthyOnly") == "true":
                hosts = [h for h in hosts if not isinstance(h, dict) or h.get("healthy", True)]
            return self.reply(200, {"name": name, "groupName": name.split("@@")[0], "clusters": "", "cacheMillis": 10000,
                                    "hosts": hosts, "lastRefTime": int(time.time() * 1000), "checksum": "",
                                    "allIPs": False, "reachProtectionThreshold": False, "valid": True})
        if path == "/nacos/v1/ns/service/list" and method == "GET":
            group = p.get("groupName", "DEFAULT_GROUP")
            names = sorted(s.split("@@", 1)[1] for (n, s), insts in services.items()
                           if n == ns and s.startswith(group + "@@") and insts)
            return self.reply(200, {"count": len(names), "doms": names})
        return self.reply(404, "no such endpoint")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--credentials", help="user:password: turns auth on (accessToken on every naming request)")
    p.add_argument("--token-ttl", type=int, default=18000, help="seconds a login's accessToken lasts")
    standin_tls.add_arguments(p)
    args = p.parse_args()
    auth["credentials"], auth["ttl"] = args.credentials, args.token_ttl
    threading.Thread(target=check_health, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Server)
    server.daemon_threads = True
    standin_tls.wrap(server, args)
    print("nacos stand-in listening on 127.0.0.1:%d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
