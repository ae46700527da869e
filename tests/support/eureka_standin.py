#!/usr/bin/python3
"""A STAND-IN for a Eureka server, for svckit's tests: Debian has no Eureka (a Java service of Netflix's).

It implements the part of Eureka's documented REST API (github.com/Netflix/eureka/wiki/Eureka-REST-operations)
that svckit's eureka:// registry uses, under the context path /eureka (Spring Cloud's), JSON only:
  POST   /eureka/apps/<APP>                     body {"instance": {...}}: registered, 204
  PUT    /eureka/apps/<APP>/<instanceId>        a heartbeat: renews the lease, 200; 404 for an unknown instance
  PUT    /eureka/apps/<APP>/<id>/status?value=S sets the status (UP, OUT_OF_SERVICE, DOWN, ...), 200
  DELETE /eureka/apps/<APP>/<instanceId>        deregistered, 200; 404 for an unknown instance
  GET    /eureka/apps/<APP>                     {"application": {"name", "instance": [...]}}; 404 with no instances
  GET    /eureka/apps                           {"applications": {"application": [...]}}
Application names are upper-cased, as Eureka does. A lease lasts leaseInfo.durationInSecs (default 90) from
the last heartbeat; the eviction task removes expired instances every --eviction-interval seconds (Eureka's
default is 60; the tests use 0.2). A request whose Accept header does not ask for JSON gets XML, as from Eureka
(so a client that forgets the header sees it fail). With --credentials user:password every request needs that
HTTP Basic auth (401 otherwise), as a Spring Cloud server secured that way.

What it does not model: peer replication between Eureka servers, self-preservation (a real server stops
evicting when too few renewals arrive), delta fetches (/apps/delta), the response cache (a real server's
answers may lag registrations by up to 30 s), XML bodies, vip/svip queries, and persistence: state is in
memory and gone when the process stops.

Test hook (not Eureka's): POST /debug/raw/<APP> stores the body, any JSON value, as an instance of APP as it
is (an entry some other client wrote badly); GET /debug/heartbeats counts the heartbeats received.
"""
import argparse
import base64
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

import standin_tls  # tests/support/standin_tls.py, beside this script

lock = threading.Lock()
apps = {}  # APP -> {instanceId: {"instance": {...}, "expires": t, "duration": s}}
counters = {"heartbeats": 0}
credentials = None


def evict(every):
    while True:
        time.sleep(every)
        now = time.monotonic()
        with lock:
            for name in list(apps):
                for iid in [i for i, e in apps[name].items() if e["duration"] and now > e["expires"]]:
                    del apps[name][iid]
                if not apps[name]:
                    del apps[name]


def application(name):
    return {"name": name, "instance": [e["instance"] for _, e in sorted(apps[name].items())]}


class Server(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body in two writes: no delayed-ACK wait (as Consul's stand-in)

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body=None):
        if body is not None and "json" not in (self.headers.get("Accept") or ""):
            data = b"<error>only XML without Accept: application/json</error>"
            ctype = "application/xml"
        else:
            data = b"" if body is None else json.dumps(body).encode()
            ctype = "application/json"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        if credentials is None:
            return True
        want = "Basic " + base64.b64encode(credentials.encode()).decode()
        if self.headers.get("Authorization") == want:
            return True
        self.reply(401, {"error": "Unauthorized"})
        return False

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"null")

    def route(self):
        url = urlparse(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        return parts, parse_qs(url.query)

    def do_POST(self):
        if not self.authorized():
            return
        parts, _ = self.route()
        try:
            b = self.body()
            if parts[:2] == ["debug", "raw"] and len(parts) == 3:
                with lock:
                    apps.setdefault(parts[2].upper(), {})["raw-%d" % time.monotonic_ns()] = {"instance": b, "expires": 0, "duration": 0}
                return self.reply(204)
            if parts[:2] != ["eureka", "apps"] or len(parts) != 3:
                return self.reply(404, {"error": "no such endpoint"})
            inst = b["instance"]
            for field in ("hostName", "app", "ipAddr", "status", "dataCenterInfo"):
                if field not in inst:
                    return self.reply(400, {"error": "missing " + field})
            iid = inst.get("instanceId") or inst["hostName"]
            inst["app"] = parts[2].upper()
            lease = inst.get("leaseInfo") or {}
            duration = float(lease.get("durationInSecs", 90))
            with lock:
                apps.setdefault(parts[2].upper(), {})[iid] = {"instance": inst, "duration": duration,
                                                              "expires": time.monotonic() + duration}
            return self.reply(204)
        except (ValueError, KeyError, TypeError) as e:
            return self.reply(400, {"error": "bad instance: %s" % e})

    def do_PUT(self):
        if not self.authorized():
            return
        parts, q = self.route()
        if parts[:2] != ["eureka", "apps"] or len(parts) not in (4, 5):
            return self.reply(404, {"error": "no such endpoint"})
        with lock:
            e = apps.get(parts[2].upper(), {}).get(parts[3])
            if not e:
                return self.reply(404, {"error": "instance not found"})
            if len(parts) == 5 and parts[4] == "status":
                e["instance"]["status"] = q.get("value", ["UP"])[0]
                return self.reply(200)
            counters["heartbeats"] += 1
            e["expires"] = time.monotonic() + e["duration"]
        return self.reply(200)

    def do_DELETE(self):
        if not self.authorized():
            return
        parts, _ = self.route()
        if parts[:2] != ["eureka", "apps"] or len(parts) != 4:
            return self.reply(404, {"error": "no such endpoint"})
        with lock:
            app = apps.get(parts[2].upper(), {})
            if app.pop(parts[3], None) is None:
                return self.reply(404, {"error": "instance not found"})
            if not app:
                apps.pop(parts[2].upper(), None)
        return self.reply(200)

    def do_GET(self):
        parts, _ = self.route()
        if parts == ["debug", "heartbeats"]:
            with lock:
                return self.reply(200, counters["heartbeats"])
        if not self.authorized():
            return
        with lock:
            if parts == ["eureka", "apps"]:
                return self.reply(200, {"applications": {"versions__delta": "1", "apps__hashcode": "",
                                                         "application": [application(n) for n in sorted(apps)]}})
            if parts[:2] == ["eureka", "apps"] and len(parts) == 3:
                name = parts[2].upper()
                if name not in apps:
                    return self.reply(404, {"error": "application not found"})
                return self.reply(200, {"application": application(name)})
        return self.reply(404, {"error": "no such endpoint"})


def main():
    global credentials
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    standin_tls.add_arguments(p)
    p.add_argument("--eviction-interval", type=float, default=0.2)
    p.add_argument("--credentials", help="user:password required as HTTP Basic auth")
    args = p.parse_args()
    credentials = args.credentials
    threading.Thread(target=evict, args=(args.eviction_interval,), daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Server)
    server.daemon_threads = True
    standin_tls.wrap(server, args)
    print("eureka stand-in listening on 127.0.0.1:%d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
