#!/usr/bin/env python3
"""A small Librato stand-in for the deployment smoke tests (deploy/test-image.sh, deploy/rehearse.sh) only.

It checks the basics a hub must get right on the wire (Basic auth with the expected credential, a JSON body, the
legacy and tagged payload shapes, name and source charsets) and records every request as one JSON line. The strict
fake that enforces all of docs/librato-api.md is the Swift one in Sources/DockerLibratoTesting/FakeLibrato,
used by the test suite; this one exists so that shell scripts need no extra build.

  fake_librato.py serve --listen 127.0.0.1:PORT --record FILE [--email E --token T]
  fake_librato.py summary --record FILE [--json]        # requests, series, clusters, hosts, containers
"""

import argparse
import base64
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME_RE = re.compile(r"^[A-Za-z0-9.:_\-]{1,255}$")
SOURCE_RE = re.compile(r"^[A-Za-z0-9.:_\-]{1,255}$")
TAG_VALUE_RE = re.compile(r"^[-.:_\w\s?\\/]{1,255}$")


def check_legacy(body):
    """Returns a list of problems with a POST /v1/metrics body."""
    problems = []
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    top_source = body.get("source")
    count = 0
    for kind in ("gauges", "counters"):
        items = body.get(kind, [])
        if isinstance(items, dict):  # the hash form: {"name": {...}}
            items = [dict(v, name=k) for k, v in items.items()]
        for m in items:
            count += 1
            name = m.get("name", "")
            if not NAME_RE.match(name):
                problems.append(f"{kind}: bad name {name!r}")
            source = m.get("source", top_source)
            if source is not None and (not SOURCE_RE.match(source) or source.lower() == "all"):
                problems.append(f"{kind}: bad source {source!r}")
            if "value" not in m and not ("count" in m and "sum" in m):
                problems.append(f"{kind}: {name} has neither value nor count+sum")
    if count == 0:
        problems.append("no measurements")
    if count > 300:
        problems.append(f"{count} measurements in one request (legacy limit 300)")
    return problems


def check_tagged(body):
    """Returns a list of problems with a POST /v1/measurements body."""
    problems = []
    if not isinstance(body, dict) or not isinstance(body.get("measurements"), list):
        return ["body has no measurements array"]
    ms = body["measurements"]
    if not ms:
        problems.append("no measurements")
    if len(ms) > 1000:
        problems.append(f"{len(ms)} measurements in one request (tagged limit 1000)")
    for m in ms:
        name = m.get("name", "")
        if not NAME_RE.match(name):
            problems.append(f"bad name {name!r}")
        tags = dict(body.get("tags") or {})
        tags.update(m.get("tags") or {})
        if not tags:
            problems.append(f"{name}: no tags")
        for k, v in tags.items():
            if not NAME_RE.match(k) or not TAG_VALUE_RE.match(str(v)):
                problems.append(f"{name}: bad tag {k}={v!r}")
    return problems


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-librato/1"

    def log_message(self, fmt, *args):  # quiet: the record file is the log
        pass

    def _reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, entry):
        with self.server.lock:
            with open(self.server.record_path, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def do_GET(self):
        self._reply(200, {"fake": "librato"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        entry = {"path": self.path, "user_agent": self.headers.get("User-Agent", "")}
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            try:
                user, _, token = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                token = None
            if self.server.email is not None and (user != self.server.email or token != self.server.token):
                entry.update(status=401, problems=["wrong credential"])
                self._record(entry)
                return self._reply(401, {"errors": {"request": ["Authorization failed"]}})
        else:
            entry.update(status=401, problems=["no Basic auth"])
            self._record(entry)
            return self._reply(401, {"errors": {"request": ["Please provide credentials for authentication."]}})
        entry["user"] = user
        if "json" not in self.headers.get("Content-Type", ""):
            entry.update(status=415, problems=["content type is not JSON"])
            self._record(entry)
            return self._reply(415, {"errors": {"request": ["Content type must be JSON"]}})
        try:
            body = json.loads(raw)
        except ValueError:
            entry.update(status=400, problems=["body is not JSON"])
            self._record(entry)
            return self._reply(400, {"errors": {"request": ["Invalid JSON"]}})
        entry["body"] = body
        path = self.path.split("?")[0]
        if path == "/v1/metrics":
            problems, status, reply = check_legacy(body), 200, {}
        elif path == "/v1/measurements":
            problems, status = check_tagged(body), 202
            n = len(body.get("measurements") or [])
            reply = {"measurements": {"summary": {"total": n, "accepted": n, "failed": 0, "filtered": 0}}}
        elif path.startswith("/v1/annotations/"):
            problems, status, reply = [], 201, {"id": 1}
        else:
            problems, status, reply = [f"unknown path {path}"], 404, {"errors": {"request": ["Not found"]}}
        if problems:
            status = 400 if status != 404 else 404
            reply = {"errors": {"params": {"measurements": problems[:20]}}}
        entry.update(status=status, problems=problems)
        self._record(entry)
        self._reply(status, reply)


def measurements(entry):
    """Yields (name, source, tags, time) for every measurement in a recorded request."""
    body = entry.get("body") or {}
    if entry["path"].startswith("/v1/metrics"):
        for kind in ("gauges", "counters"):
            items = body.get(kind, [])
            if isinstance(items, dict):
                items = [dict(v, name=k) for k, v in items.items()]
            for m in items:
                yield m.get("name"), m.get("source", body.get("source")), {}, m.get("measure_time", body.get("measure_time"))
    elif entry["path"].startswith("/v1/measurements"):
        for m in body.get("measurements", []):
            tags = dict(body.get("tags") or {})
            tags.update(m.get("tags") or {})
            yield m.get("name"), None, tags, m.get("time", body.get("time"))


def summarize(path):
    requests, statuses, problems = 0, {}, []
    series, clusters, hosts, containers, names = set(), {}, set(), set(), set()
    points, duplicates = set(), 0
    try:
        lines = open(path).read().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        entry = json.loads(line)
        requests += 1
        statuses[str(entry.get("status"))] = statuses.get(str(entry.get("status")), 0) + 1
        problems.extend(entry.get("problems") or [])
        if entry.get("status") not in (200, 202):
            continue
        for name, source, tags, time in measurements(entry):
            names.add(name)
            point = (name, source, json.dumps(tags, sort_keys=True), time)
            if time is not None and point in points:
                duplicates += 1  # the same series and time accepted twice
            points.add(point)
            if source is not None:
                series.add((name, source))
                parts = source.split(":")
                cluster = parts[0]
                clusters[cluster] = clusters.get(cluster, 0) + 1
                if len(parts) >= 3:  # default naming: CLUSTER:HOST:CONTAINER (seed: CLUSTER:image:name)
                    hosts.add(parts[1])
                    containers.add(parts[-1])
            else:
                series.add((name, json.dumps(tags, sort_keys=True)))
                cluster = tags.get("cluster", "?")
                clusters[cluster] = clusters.get(cluster, 0) + 1
                if "host" in tags:
                    hosts.add(tags["host"])
                if "container" in tags:
                    containers.add(tags["container"])
    return {
        "requests": requests,
        "statuses": statuses,
        "problems": problems[:20],
        "series": len(series),
        "points": len(points),
        "duplicates": duplicates,
        "names": sorted(n for n in names if n),
        "measurements_by_cluster": clusters,
        "hosts": sorted(hosts),
        "containers": sorted(containers),
        "sources": sorted({s for _, s in series if not s.startswith("{")}),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--listen", default="127.0.0.1:0")
    serve.add_argument("--record", required=True)
    serve.add_argument("--email")
    serve.add_argument("--token")
    serve.add_argument("--port-file", help="write the bound port here once listening")
    summary = sub.add_parser("summary")
    summary.add_argument("--record", required=True)
    summary.add_argument("--json", action="store_true")
    args = parser.parse_args()

    if args.command == "serve":
        host, _, port = args.listen.rpartition(":")
        server = ThreadingHTTPServer((host, int(port)), Handler)
        server.daemon_threads = True
        server.record_path, server.lock = args.record, threading.Lock()
        server.email, server.token = args.email, args.token
        open(args.record, "a").close()
        if args.port_file:
            with open(args.port_file + ".tmp", "w") as f:
                f.write(str(server.server_address[1]))
            import os

            os.replace(args.port_file + ".tmp", args.port_file)
        server.serve_forever()
    else:
        s = summarize(args.record)
        if args.json:
            print(json.dumps(s, indent=1))
        else:
            print(f"requests: {s['requests']} {s['statuses']}")
            print(f"series: {s['series']}, points: {s['points']}, duplicates: {s['duplicates']}, metric names: {len(s['names'])}")
            print(f"measurements by cluster: {s['measurements_by_cluster']}")
            print(f"hosts: {', '.join(s['hosts']) or '-'}")
            print(f"containers: {', '.join(s['containers']) or '-'}")
            if s["problems"]:
                print(f"problems: {s['problems']}")


if __name__ == "__main__":
    sys.exit(main())
