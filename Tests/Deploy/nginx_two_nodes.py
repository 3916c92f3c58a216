#!/usr/bin/env python3
"""Two Convene nodes on one PostgreSQL database behind deploy/nginx.conf, checked end to end.

    POSTGRES_URL=postgres://convene@127.0.0.1:54330/postgres \
        python3 Tests/Deploy/nginx_two_nodes.py [--binary PATH] [--keep]

What it does, with nothing but the Python standard library, psql, openssl and nginx:
  1. creates a fresh database on the POSTGRES_URL server and starts two `convene serve` nodes on
     free 127.0.0.1 ports against it (at the same moment, as compose would);
  2. makes a self-signed certificate and renders deploy/nginx.conf into a temporary directory,
     changing only what is specific to a deployment (user, pid and log paths, temp paths, the
     upstream addresses, the listen ports, the certificate paths) — every other directive is the
     real file's — and runs nginx with it;
  3. through nginx over HTTPS: the HTTP→HTTPS redirect, /metrics refused, the Secure cookie
     (X-Forwarded-Proto), a foreign Origin refused on a write and at the stream upgrade, the 1 MiB
     body limit; two streams of one user (one per node, by least_conn) each receive every message
     a second user posts over HTTPS — posts that nginx spreads over both nodes — in order, no gap,
     no duplicate; a stream reconnected through nginx resumes with `since` and gets exactly what
     it missed; a browser-style stream authenticated by the cookie works; a rolling restart (node-a
     marked `down` + nginx reload, SIGTERM while posting continues, back again) loses and refuses
     no post, and the node exits within 15 s; a kill -9 of node-a mid-traffic loses no acked post; a stream ticket issued through nginx opens the
     stream whichever node the upgrade lands on; login throttling counts the client address that
     nginx forwards (the nodes trust nginx's address in `security.trusted_proxies`);
  4. stops everything and drops the database.

Exit status 0 on success (or a printed SKIP when nginx, psql, openssl or POSTGRES_URL is
missing), 1 with a message on the first failed check.
"""

import argparse
import base64
import getpass
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NGINX_CONF = REPO / "deploy" / "nginx.conf"
T0 = time.monotonic()


class CheckFailed(Exception):
    pass


def log(message):
    print(f"[{time.monotonic() - T0:5.1f}s] {message}", flush=True)


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


# --- HTTP -------------------------------------------------------------------------------------

TLS = ssl._create_unverified_context()  # the certificate is self-signed


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body) if self.body else None

    def header(self, name):
        return self.headers.get(name.lower())

    def header_all(self, name):
        return [v for k, v in self.raw if k.lower() == name.lower()]


def request(port, method, path, *, body=None, token=None, headers=None, tls=True, host=None, timeout=15):
    """One request on a new connection, as a client of nginx (or of a node directly, tls=False)."""
    conn = (http.client.HTTPSConnection("127.0.0.1", port, context=TLS, timeout=timeout) if tls
            else http.client.HTTPConnection("127.0.0.1", port, timeout=timeout))
    h = {"Host": host or f"localhost:{port}"}
    if token:
        h["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.getheaders()
        resp = Response(r.status, {k.lower(): v for k, v in raw}, r.read())
        resp.raw = raw
        return resp
    finally:
        conn.close()


# --- A small WebSocket client (RFC 6455, client side, no extensions) ---------------------------

class HandshakeRefused(Exception):
    def __init__(self, status, body):
        super().__init__(f"upgrade refused with {status}: {body[:200]!r}")
        self.status, self.body = status, body


class WebSocket:
    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, port, path, headers, timeout=10):
        raw = socket.create_connection(("127.0.0.1", port), timeout)
        self.sock = TLS.wrap_socket(raw, server_hostname="localhost")
        self.sock.settimeout(timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: localhost:{port}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise HandshakeRefused(0, self.buf)
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        hdrs = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in header_lines if ":" in l)}
        if status != 101:
            length = int(hdrs.get("content-length", "0"))
            try:
                while len(self.buf) < length:
                    chunk = self.sock.recv(4096)
                    if not chunk:
                        break
                    self.buf += chunk
            except OSError:
                pass
            self.sock.close()
            raise HandshakeRefused(status, self.buf)
        accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()
        if hdrs.get("sec-websocket-accept") != accept:
            raise CheckFailed("the upgrade answer carries a wrong Sec-WebSocket-Accept")
        self.closed = False

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the stream connection was closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, obj):
        self._send_frame(0x1, json.dumps(obj).encode())

    def recv(self, timeout):
        """The next JSON text frame, or None when the server closed the connection."""
        self.sock.settimeout(timeout)
        message, first_opcode = b"", None
        while True:
            b0, b1 = self._read(2)
            opcode, fin, n = b0 & 0x0F, b0 & 0x80, b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._read(2), "big")
            elif n == 127:
                n = int.from_bytes(self._read(8), "big")
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x8:
                self.closed = True
                return None
            if opcode in (0x1, 0x2):
                first_opcode, message = opcode, payload
            else:
                message += payload
            if fin:
                return json.loads(message)

    def recv_until(self, predicate, timeout, what):
        """Frames up to and including the first one matching predicate."""
        deadline = time.monotonic() + timeout
        frames = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckFailed(f"timed out waiting for {what}; got {frames[-5:]}")
            try:
                frame = self.recv(left)
            except (socket.timeout, TimeoutError):
                raise CheckFailed(f"timed out waiting for {what}; got {frames[-5:]}")
            if frame is None:
                raise CheckFailed(f"the stream closed while waiting for {what}; got {frames[-5:]}")
            frames.append(frame)
            if predicate(frame):
                return frames

    def close(self):
        try:
            self._send_frame(0x8, (1000).to_bytes(2, "big"))
            self.sock.settimeout(2)
            while self.recv(2) is not None:
                pass
        except Exception:
            pass
        self.sock.close()


# --- The deployment under test ------------------------------------------------------------------

def render_nginx_conf(tmp, *, node_ports, http_port, https_port, cert, key):
    """deploy/nginx.conf with only the deployment-specific values swapped, each swap checked to hit."""
    text = NGINX_CONF.read_text()

    def sub(pattern, replacement, expected=1):
        nonlocal text
        text, n = re.subn(pattern, replacement, text, flags=re.M)
        if n != expected:
            raise CheckFailed(f"deploy/nginx.conf changed shape: /{pattern}/ matched {n} times, expected {expected}")

    me = getpass.getuser()
    sub(r"^user\s+[^;]+;", f"user {me};" if os.geteuid() == 0 else "# user: not root, runs as the caller")
    sub(r"^pid\s+[^;]+;", f"pid {tmp}/nginx.pid;")
    sub(r"^(error_log\s+)\S+", rf"\g<1>{tmp}/error.log")
    sub(r"^(\s*access_log\s+)\S+", rf"\g<1>{tmp}/access.log")
    sub(r"^(http\s*\{)", "\\1\n" + "".join(
        f"    {d}_temp_path {tmp}/{d};\n" for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")))
    sub(r"(\bserver\s+)node-a:8080\b", rf"\g<1>127.0.0.1:{node_ports[0]}")
    sub(r"(\bserver\s+)node-b:8080\b", rf"\g<1>127.0.0.1:{node_ports[1]}")
    sub(r"^(\s*listen\s+)80;", rf"\g<1>127.0.0.1:{http_port};")
    sub(r"^(\s*listen\s+)443(\s+ssl)", rf"\g<1>127.0.0.1:{https_port}\g<2>")
    sub(r"^(\s*ssl_certificate\s+)/etc/nginx/certs/\S+;", rf"\g<1>{cert};")
    sub(r"^(\s*ssl_certificate_key\s+)/etc/nginx/certs/\S+;", rf"\g<1>{key};")
    # No other server name or address may remain: the test must not depend on one it does not run.
    check(not re.search(r"node-[ab]|/etc/nginx|/var/", text), "deploy/nginx.conf has a path or host the test did not swap")
    path = Path(tmp) / "nginx.conf"
    path.write_text(text)
    return path


class Node:
    def __init__(self, name, binary, port, database_url, public_origin, tmp):
        self.name, self.port = name, port
        self.dir = Path(tmp) / name
        self.dir.mkdir()
        self.log_path = self.dir / "node.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVENE_")}
        env.update({
            "CONVENE_DATABASE_URL": database_url,
            "CONVENE_SERVER_HOST": "127.0.0.1",
            "CONVENE_SERVER_PORT": str(port),
            "CONVENE_DATA_DIR": str(self.dir),
            "CONVENE_SEEDS_PATH": str(REPO / "seeds" / "network.json"),
            "CONVENE_SECURITY_ALLOWED_ORIGINS": public_origin,
            "CONVENE_SECURITY_BCRYPT_COST": "4",  # registering is not what is measured here
            "CONVENE_LIMITS_MESSAGES_PER_MINUTE": "1000",
            # Low, so the login-throttling check needs few requests.
            "CONVENE_SECURITY_LOGIN_FAILURES_PER_ADDRESS": "2",
            # nginx runs on loopback, as does every client here, so X-Forwarded-For is walked past
            # 127.0.0.1 to the entry each request sends itself.
            "CONVENE_SECURITY_TRUSTED_PROXIES": "127.0.0.1",
        })
        self.env, self.binary = env, binary
        self.proc = None
        self.start()

    def start(self):
        # cwd is the node's own folder, so no Config/convene.json is read: defaults + the env above.
        self.logfile = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(self.binary), "serve"], cwd=self.dir, env=self.env,
                                     stdout=self.logfile, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CheckFailed(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if request(self.port, "GET", "/readyz", tls=False, timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise CheckFailed(f"{self.name} not ready within {timeout} s:\n{self.tail()}")

    def stop(self, timeout=15):
        """SIGTERM; returns the seconds it took to exit (None if it had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return 0.0
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
            return time.monotonic() - started
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        finally:
            self.logfile.close()

    def metric(self, name):
        body = request(self.port, "GET", "/metrics", tls=False).body.decode()
        m = re.search(rf"^{re.escape(name)}(?:\{{[^}}]*\}})? (\S+)$", body, re.M)
        return float(m.group(1)) if m else 0.0

    def tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def psql(server_url, sql):
    r = subprocess.run(["psql", server_url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise CheckFailed(f"psql failed: {sql}\n{r.stderr.strip()}")
    return r.stdout


def with_database(server_url, name):
    u = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


# --- The checks -------------------------------------------------------------------------------

def run(args, tmp, state):
    ports = [free_port() for _ in range(4)]
    node_ports, http_port, https_port = ports[:2], ports[2], ports[3]
    public_origin = f"https://localhost:{https_port}"

    db = f"convene_deploy_{os.getpid()}_{secrets.token_hex(3)}"
    psql(args.postgres_url, f'CREATE DATABASE "{db}"')
    state["db"] = db
    database_url = with_database(args.postgres_url, db)
    log(f"database {db} created")

    nodes = [Node(name, args.binary, port, database_url, public_origin, tmp)
             for name, port in zip(("node-a", "node-b"), node_ports)]
    state["nodes"] = nodes
    for node in nodes:
        node.wait_ready()
    log(f"node-a on :{node_ports[0]} and node-b on :{node_ports[1]} ready (started together on one empty database)")

    cert, key = Path(tmp) / "fullchain.pem", Path(tmp) / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    conf = render_nginx_conf(tmp, node_ports=node_ports, http_port=http_port, https_port=https_port, cert=cert, key=key)
    t = subprocess.run([args.nginx, "-t", "-p", tmp, "-c", str(conf)], capture_output=True, text=True)
    check(t.returncode == 0, f"nginx -t refused the rendered deploy/nginx.conf:\n{t.stderr}")
    nginx_log = open(Path(tmp) / "nginx.stderr", "wb")
    state["nginx"] = subprocess.Popen([args.nginx, "-p", tmp, "-c", str(conf), "-g", "daemon off;"],
                                      stdout=nginx_log, stderr=subprocess.STDOUT)
    check(wait_port(https_port, 10), "nginx did not start listening:\n" + (Path(tmp) / "nginx.stderr").read_text())
    log(f"nginx (deploy/nginx.conf rendered, `nginx -t` ok) on http :{http_port}, https :{https_port}")

    # The plain port only redirects.
    r = request(http_port, "GET", "/api/v1/communities?x=1", tls=False, host="localhost")
    check(r.status == 301 and r.header("location") == "https://localhost/api/v1/communities?x=1",
          f"plain HTTP should redirect to https with the same path, got {r.status} {r.header('location')}")
    log("ok  http → https redirect (301, path and query kept)")

    r = request(https_port, "GET", "/healthz")
    check(r.status == 200 and r.json() == {"status": "ok"}, f"/healthz through nginx: {r.status} {r.body[:200]}")
    check(r.header("strict-transport-security") and r.header("x-request-id"),
          "HSTS from nginx and X-Request-Id from the node expected")
    r = request(https_port, "GET", "/metrics")
    check(r.status == 403, f"/metrics must not be public through nginx, got {r.status}")
    log("ok  /healthz through nginx; /metrics refused (403) at the proxy")

    # Register as a browser would (no bearer, the public Origin): the node's Origin check must pass,
    # and the cookie must be Secure because nginx says X-Forwarded-Proto: https.
    tag = secrets.token_hex(3)

    def register(who, origin):
        return request(https_port, "POST", "/api/v1/auth/register", headers={"Origin": origin},
                       body={"email": f"{who}-{tag}@example.org", "password": "a long passphrase 42",
                             "display_name": who.capitalize()})

    r = register("mallory", "https://evil.example")
    check(r.status == 403, f"a write from a foreign Origin should be 403, got {r.status} {r.body[:200]}")
    users = {}
    for who in ("ann", "bob"):
        r = register(who, public_origin)
        check(r.status == 201, f"register {who} through nginx: {r.status} {r.body[:300]}")
        cookies = r.header_all("set-cookie")
        session = [c for c in cookies if c.startswith("convene_session=")]
        check(session and "secure" in session[0].lower(),
              f"the session cookie must be Secure behind TLS-terminating nginx (X-Forwarded-Proto); got {cookies}")
        users[who] = {"token": r.json()["token"], "cookie": session[0].split(";")[0], "id": r.json()["user"]["id"]}
    log("ok  register through nginx with the public Origin; a foreign Origin refused (403); cookie is Secure")

    r = request(https_port, "POST", "/api/v1/channels/1/messages", body=b"x" * (1024 * 1024 + 10), token=users["ann"]["token"])
    check(r.status == 413, f"a body over 1 MiB should be refused with 413, got {r.status}")
    log("ok  a body over 1 MiB refused with 413 (client_max_body_size 1m)")

    for who in ("ann", "bob"):
        r = request(https_port, "POST", "/api/v1/communities/ohio/join", token=users[who]["token"])
        check(r.status in (200, 201, 204), f"{who} joins ohio: {r.status} {r.body[:200]}")
    r = request(https_port, "GET", "/api/v1/communities/ohio/channels", token=users["ann"]["token"])
    general = next((c["id"] for c in r.json()["channels"] if c["name"] == "general"), None)
    check(general, f"ohio has no general channel: {r.body[:300]}")

    # A foreign Origin at the upgrade, with a valid token: refused before the upgrade.
    try:
        WebSocket(https_port, "/api/v1/stream", {"Authorization": f"Bearer {users['ann']['token']}",
                                                 "Origin": "https://evil.example"}).close()
        raise CheckFailed("a stream upgrade from a foreign Origin was accepted")
    except HandshakeRefused as e:
        # The node refuses it before the upgrade; Hummingbird turns the refusal into an empty 400.
        check(e.status in (400, 403), f"a foreign Origin at the upgrade should be refused with 400/403, got {e.status}")
        refused_status = e.status
    log(f"ok  stream upgrade from a foreign Origin refused ({refused_status}) through nginx")

    def open_stream(headers):
        ws = WebSocket(https_port, "/api/v1/stream", {"Origin": public_origin, **headers})
        ready = ws.recv(10)
        check(ready and ready.get("op") == "ready", f"first frame should be ready, got {ready}")
        return ws

    def subscribe(ws, since):
        ws.send({"op": "subscribe", "channel": general, "since": since, "ref": "s"})
        frames = ws.recv_until(lambda f: f.get("op") == "caught_up", 10, "caught_up")
        check(frames[0].get("op") == "subscribed", f"subscribe answered {frames[0]}")
        return [f for f in frames if f.get("op") == "event"]

    # Two streams of ann's: least_conn puts the second on the node the first is not on.
    bearer = {"Authorization": f"Bearer {users['ann']['token']}"}
    streams = [open_stream(bearer), open_stream(bearer)]
    for ws in streams:
        subscribe(ws, 0)
    held = [nodes[0].metric("convene_stream_connections"), nodes[1].metric("convene_stream_connections")]
    check(held == [1, 1], f"one stream on each node expected (least_conn), got node-a={held[0]} node-b={held[1]}")
    log("ok  two wss streams through nginx (Bearer + public Origin), one held by each node")

    def post(n, prefix):
        seqs = []
        for i in range(n):
            body = f"{prefix} {i}"
            r = request(https_port, "POST", f"/api/v1/channels/{general}/messages", token=users["bob"]["token"],
                        headers={"Idempotency-Key": f"{prefix.replace(' ', '-')}-{i}-{tag}"}, body={"body": body})
            check(r.status == 201, f"post {body!r} through nginx: {r.status} {r.body[:300]}")
            m = r.json()
            seqs.append((m.get("seq") or m["message"]["seq"], body))
        return seqs

    def expect_events(ws, sent, what):
        last = sent[-1][0]
        frames = ws.recv_until(lambda f: f.get("op") == "event" and f.get("seq") == last, 15,
                               f"{what}: seq {last} (a node's events not reaching the other node's streams? "
                               "the binary may predate the LISTEN/NOTIFY bus)")
        got = [(f["seq"], f["data"]["body"]) for f in frames if f.get("op") == "event" and f.get("type") == "message.created"]
        check(got == sent, f"{what}: expected {len(sent)} events in order without gaps or duplicates "
                           "(events from the other node missing? the binary may predate the LISTEN/NOTIFY bus);\n"
                           f"  sent {sent[:3]}…{sent[-2:]}\n  got  {got[:3]}…{got[-2:]} ({len(got)})")

    committed_before = [n.metric("convene_messages_committed_total") for n in nodes]
    sent = post(args.messages, "hello")
    seqs = [s for s, _ in sent]
    check(seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"the 201s should carry consecutive seqs, got {seqs}")
    for i, ws in enumerate(streams):
        expect_events(ws, sent, f"stream {i + 1}")
    committed = [n.metric("convene_messages_committed_total") - b for n, b in zip(nodes, committed_before)]
    served = {}
    for line in (Path(tmp) / "access.log").read_text().splitlines():
        if f"POST /api/v1/channels/{general}/messages" in line:
            m = re.search(r"upstream=(\S+)", line)
            served[m.group(1)] = served.get(m.group(1), 0) + 1
    check(len(served) == 2 and all(committed), f"posts should land on both nodes: access log {served}, committed {committed}")
    log(f"ok  {len(sent)} posts over HTTPS spread by nginx (access log upstreams {served}; committed "
        f"node-a={committed[0]:.0f} node-b={committed[1]:.0f}); both streams got all {len(sent)} "
        f"events, seq {seqs[0]}..{seqs[-1]}, in order, no gap, no duplicate")

    # Resume: drop a stream, post while it is gone, reconnect through nginx with since=last seen.
    streams[0].close()
    missed = post(5, "while away")
    streams[0] = open_stream(bearer)
    replay = subscribe(streams[0], sent[-1][0])
    got = [(f["seq"], f["data"]["body"]) for f in replay]
    check(got == missed, f"resume with since={sent[-1][0]} should replay exactly {missed}, got {got}")
    expect_events(streams[1], missed, "the stream that stayed")
    log(f"ok  a stream reconnected through nginx resumed with since={sent[-1][0]}: exactly the {len(missed)} missed events")

    # The browser route: the session cookie (no bearer) and the public Origin.
    ws = open_stream({"Cookie": users["ann"]["cookie"]})
    subscribe(ws, missed[-1][0])
    ws.close()
    log("ok  a stream authenticated by the session cookie (the browser route) through nginx")

    # Stream tickets live in the database: one issued through nginx (by either node) opens the
    # stream whichever node the upgrade lands on.
    ok = 0
    for _ in range(6):
        t = request(https_port, "POST", "/api/v1/stream/tickets", token=users["ann"]["token"]).json()["ticket"]
        try:
            WebSocket(https_port, f"/api/v1/stream?ticket={urllib.parse.quote(t)}", {"Origin": public_origin}).close()
            ok += 1
        except HandshakeRefused:
            pass
    check(ok == 6, f"stream tickets through nginx: only {ok}/6 upgrades accepted")
    log("ok  6 stream tickets issued and redeemed through nginx, whichever node each landed on")

    # Login throttling per client address, with the nodes trusting nginx's X-Forwarded-For:
    # six failed sign-ins by six other clients (more than the limit of 2 per address on either
    # node, were they counted as one address) do not throttle a seventh, while one client's
    # repeated failures do. Few enough tries in all to stay under nginx's own sign-in limit.
    for i in range(6):
        request(https_port, "POST", "/api/v1/auth/login", headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
                body={"email": f"nobody{i}-{tag}@example.org", "password": "a wrong passphrase"})
    for _ in range(2):
        r = request(https_port, "POST", "/api/v1/auth/login", headers={"X-Forwarded-For": "203.0.113.9"},
                    body={"email": f"ann-{tag}@example.org", "password": "a long passphrase 42"})
        check(r.status == 200, f"ann's sign-in was refused ({r.status}) after other clients' failures")
    statuses = []
    for i in range(5):
        r = request(https_port, "POST", "/api/v1/auth/login", headers={"X-Forwarded-For": "203.0.113.66"},
                    body={"email": f"guess{i}-{tag}@example.org", "password": "a wrong passphrase"})
        statuses.append(r.status)
        if r.status == 429:
            check((r.json() or {}).get("error", {}).get("code") == "rate_limited", f"a 429 not from a node: {r.body[:200]!r}")
    # Limit 2 per address per node, and nginx spreads the tries over two nodes: 429 by the 5th at the latest.
    check(429 in statuses, f"one client's five failed sign-ins were never throttled: {statuses}")
    log(f"ok  login throttling counts the forwarded client: others' failures throttle nobody else; one client's tries {statuses}")

    # A rolling restart of node-a, the way deploy/README.md says: out of nginx's rotation first
    # (`down` + reload), then SIGTERM while bob keeps posting through nginx, then back. Nothing may
    # be lost or refused, and the node must exit within the 15 s the systemd unit allows.
    # (SIGTERM without taking the node out first can cost the odd request that reaches the node
    # as it closes: nginx answers 502 and, rightly, does not replay a POST.)
    def set_down(port, down):
        text = conf.read_text()
        line = re.compile(rf"^(\s*server\s+127\.0\.0\.1:{port}\b[^;]*?)(\s+down)?;", re.M)
        text, n = line.subn(lambda m: m.group(1) + (" down;" if down else ";"), text)
        check(n == 1, f"no upstream line for port {port} in the rendered config")
        conf.write_text(text)
        before = (Path(tmp) / "error.log").read_text().count("reconfiguring")
        state["nginx"].send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while (Path(tmp) / "error.log").read_text().count("reconfiguring") == before:
            check(time.monotonic() < deadline, "nginx did not reload")
            time.sleep(0.05)
        time.sleep(0.3)  # the new workers start right after the master logs the reload

    stopping = nodes[0]
    set_down(stopping.port, True)
    stopping.proc.send_signal(signal.SIGTERM)
    t_stop = time.monotonic()
    during = post(10, "during restart")
    try:
        stopping.proc.wait(15)
    except subprocess.TimeoutExpired:
        raise CheckFailed("node-a did not exit within 15 s of SIGTERM")
    took = time.monotonic() - t_stop
    stopping.logfile.close()
    check(stopping.proc.returncode == 0, f"node-a exited with {stopping.proc.returncode} after SIGTERM:\n{stopping.tail()}")
    after = post(5, "after stop")
    for ws in streams:
        try:
            ws.close()
        except Exception:
            pass
    ws = open_stream(bearer)
    replay = subscribe(ws, missed[-1][0])
    got = [(f["seq"], f["data"]["body"]) for f in replay]
    check(got == during + after, f"after node-a stopped, a resume should replay the 15 posts in order, got {got}")
    ws.close()
    log(f"ok  rolling restart, node-a out of nginx then SIGTERM while posting: it exited 0 in {took:.1f} s; all "
        f"{len(during) + len(after)} posts answered 201; a resumed stream on node-b got them in order")
    stopping.start()
    stopping.wait_ready()
    set_down(stopping.port, False)
    committed = stopping.metric("convene_messages_committed_total")
    back = post(4, "back again")
    check(stopping.metric("convene_messages_committed_total") > committed, "node-a did not get posts after it came back")
    ws = open_stream(bearer)
    replay = subscribe(ws, after[-1][0])
    check([(f["seq"], f["data"]["body"]) for f in replay] == back, "the resume after node-a came back missed posts")
    ws.close()
    log("ok  node-a restarted, back in nginx's rotation, serving posts again")

    # kill -9 of node-a while posts go through nginx to both nodes: every post answered 201 (an
    # ack comes after the commit) is in the history exactly once, in order, with no seq gap.
    # Posts that reached node-a as it died are answered 502 and were never acked.
    acked, refused = [], 0
    killer = threading.Timer(0.3, stopping.proc.kill)
    killer.start()
    for i in range(40):
        body = f"kill {i}"
        try:
            r = request(https_port, "POST", f"/api/v1/channels/{general}/messages", token=users["bob"]["token"],
                        headers={"Idempotency-Key": f"kill-{i}-{tag}"}, body={"body": body})
        except OSError:
            refused += 1
            continue
        if r.status == 201:
            m = r.json()
            acked.append((m.get("seq") or m["message"]["seq"], body))
        else:
            refused += 1
    killer.join()
    stopping.proc.wait(10)
    check(stopping.proc.returncode == -signal.SIGKILL, f"node-a was not killed: {stopping.proc.returncode}")
    ws = open_stream(bearer)
    replay = subscribe(ws, back[-1][0])
    ws.close()
    got = [(f["seq"], f["data"]["body"]) for f in replay if f.get("type") == "message.created"]
    seqs = [f["seq"] for f in replay]
    check(seqs == list(range(back[-1][0] + 1, back[-1][0] + 1 + len(seqs))), f"a seq gap after kill -9: {seqs}")
    bodies = [b for _, b in got]
    check(len(bodies) == len(set(bodies)), f"a message stored twice after kill -9: {bodies}")
    missing = [a for a in acked if a not in got]
    check(not missing, f"acked posts missing after node-a was killed: {missing}")
    check(len(acked) >= 20, f"too few posts acked around the kill to prove anything: {len(acked)}")
    log(f"ok  kill -9 of node-a mid-traffic: {len(acked)} posts acked, {refused} refused; every acked one present once, "
        f"seqs {seqs[0]}..{seqs[-1]} without a gap")


def default_binary():
    candidates = [REPO / d / "convene" for d in (".build/release", ".build-release/release", ".build/debug")]
    built = [c for c in candidates if c.is_file() and (c.parent / "convene_ConveneServer.resources").is_dir()]
    return str(max(built, key=lambda c: c.stat().st_mtime)) if built else str(candidates[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.environ.get("CONVENE_BINARY") or default_binary(),
                        help="convene binary, with convene_ConveneServer.resources beside it (env CONVENE_BINARY; "
                             "default: the newest of .build/release, .build-release/release, .build/debug)")
    parser.add_argument("--postgres-url", default=os.environ.get("POSTGRES_URL"))
    parser.add_argument("--nginx", default=shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None))
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, rendered config)")
    args = parser.parse_args()

    if not args.postgres_url:
        skip("set POSTGRES_URL (a PostgreSQL server URL whose user may create databases) or pass --postgres-url")
    if not args.nginx:
        skip("nginx is not installed (apt-get install nginx-light)")
    for tool in ("psql", "openssl"):
        if not shutil.which(tool):
            skip(f"{tool} is not installed")
    args.binary = Path(args.binary).resolve()
    if not os.access(args.binary, os.X_OK):
        skip(f"no convene binary at {args.binary} (swift build -c release, or pass --binary)")
    if not (args.binary.parent / "convene_ConveneServer.resources").is_dir():
        skip(f"convene_ConveneServer.resources must sit beside {args.binary}")

    built = time.strftime("%Y-%m-%d %H:%M", time.localtime(args.binary.stat().st_mtime))
    log(f"binary {args.binary} (built {built}), nginx {args.nginx}")

    tmp = tempfile.mkdtemp(prefix="convene-nginx-")
    os.chmod(tmp, 0o755)
    state = {}
    status = 0
    try:
        run(args, tmp, state)
        log("PASS")
    except Exception as e:  # every failure, with the logs, then the same cleanup
        status = 1
        print(f"FAIL: {type(e).__name__ + ': ' if not isinstance(e, CheckFailed) else ''}{e}", file=sys.stderr)
        for node in state.get("nodes", []):
            print(f"--- {node.name} log (last lines):\n{node.tail()}", file=sys.stderr)
        for name in ("error.log", "nginx.stderr", "access.log"):
            p = Path(tmp) / name
            if p.exists():
                print(f"--- nginx {name} (last lines):\n" + "\n".join(p.read_text().splitlines()[-15:]), file=sys.stderr)
    finally:
        if "nginx" in state:
            state["nginx"].send_signal(signal.SIGQUIT)
            try:
                state["nginx"].wait(10)
            except subprocess.TimeoutExpired:
                state["nginx"].kill()
        for node in state.get("nodes", []):
            took = node.stop()
            if took is None:
                print(f"FAIL: {node.name} did not exit within 15 s of SIGTERM", file=sys.stderr)
                status = 1
        if "db" in state:
            try:
                psql(args.postgres_url, f'DROP DATABASE IF EXISTS "{state["db"]}" WITH (FORCE)')
            except CheckFailed as e:
                print(f"warning: {e}", file=sys.stderr)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    log("cleaned up (processes stopped, database dropped)")
    sys.exit(status)


if __name__ == "__main__":
    main()
