"""What the reliability scripts share: starting a `convene serve` process, calling its HTTP API,
and an asyncio stream client."""
import asyncio
import base64
import json
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request


# Every server started, so a script that breaks off midway leaves none running.
SERVERS = []


def _stopped(signum, frame):
    """SIGTERM (a test's watchdog) ends the script and the servers it started."""
    for process in SERVERS:
        if process.poll() is None:
            process.kill()
    os._exit(128 + signum)


signal.signal(signal.SIGTERM, _stopped)


def start(binary, data, database=None, environment=None):
    """Starts `binary serve` on a free port over `data` (and `database`, a PostgreSQL URL), with the
    per-member pace and bcrypt's cost lifted for load; returns (process, port)."""
    arguments = [binary, "serve", "--port", "0", "--data-dir", data] + (["--database-url", database] if database else [])
    variables = {key: value for key, value in os.environ.items() if not key.startswith("CONVENE_")}
    variables["CONVENE_LIMITS_MESSAGES_PER_MINUTE"] = "1000000"
    variables["CONVENE_SECURITY_BCRYPT_COST"] = "4"
    variables["CONVENE_MODERATION_NEW_MEMBER_DAYS"] = "0"
    variables.update(environment or {})
    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=variables)
    SERVERS.append(process)
    log = b""
    deadline = time.time() + 60
    while time.time() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        log += line
        match = re.search(rb"listening on 127\.0\.0\.1:(\d+)", line)
        if match:
            threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()  # keep draining
            return process, int(match.group(1))
    raise RuntimeError("the server did not start: " + log.decode(errors="replace")[-2000:])


def call(port, method, path, body=None, token=None, key=None):
    """The JSON answer to one request; raises urllib's HTTPError on a 4xx or 5xx. With `key` (an
    Idempotency-Key) a request that times out or meets a 5xx is sent again, up to five times:
    the node answers a repeated key with the first result, so nothing is written twice."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if key:
        request.add_header("Idempotency-Key", key)
    for attempt in range(5 if key else 1):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
                return json.loads(text) if text else None
        except (TimeoutError, ConnectionError, urllib.error.URLError) as error:
            if not key or attempt == 4 or (isinstance(error, urllib.error.HTTPError) and error.code < 500):
                raise
            time.sleep(0.5 * (attempt + 1))


def run_main(main):
    """Runs the coroutine function `main` (which returns an exit code) and ends the process at once
    with its code: an exception is printed as a FAIL line and is 1; servers still running are
    killed; thousands of client tasks are not waited for to wind down."""
    async def guarded():
        try:
            code = await main()
        except Exception as error:
            traceback.print_exc(file=sys.stdout)
            print(f"FAIL: the run broke off: {error!r}", flush=True)
            code = 1
        for process in SERVERS:
            if process.poll() is None:
                process.kill()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

    asyncio.run(guarded())


class Closed(Exception):
    pass


class Stream:
    """A minimal asyncio WebSocket client for the stream: masked text frames out, pings answered."""

    @classmethod
    async def open(cls, port, token):
        self = cls()
        self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, limit=1 << 22), 10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.writer.write((f"GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n").encode())
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        if b" 101 " not in head.split(b"\r\n")[0]:
            self.writer.close()
            raise Closed(head.split(b"\r\n")[0].decode(errors="replace"))
        ready = await asyncio.wait_for(self.next(), 10)
        if ready.get("op") != "ready":
            raise Closed(f"first frame {ready}")
        return self

    def text(self, value):
        payload = json.dumps(value).encode()
        mask = os.urandom(4)
        length = len(payload)
        header = bytes([0x81]) + (bytes([0x80 | length]) if length < 126 else bytes([0x80 | 126]) + struct.pack(">H", length))
        self.writer.write(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    async def next(self):
        """The next text frame as JSON; raises Closed when the connection ends."""
        try:
            while True:
                first, second = await self.reader.readexactly(2)
                length = second & 0x7F
                if length == 126:
                    length = struct.unpack(">H", await self.reader.readexactly(2))[0]
                elif length == 127:
                    length = struct.unpack(">Q", await self.reader.readexactly(8))[0]
                payload = await self.reader.readexactly(length)
                opcode = first & 0x0F
                if opcode == 0x1:
                    return json.loads(payload)
                if opcode == 0x8:
                    raise Closed("close frame")
                if opcode == 0x9:
                    self.writer.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as error:
            raise Closed(str(error))

    def close(self):
        try:
            self.writer.close()
        except Exception:
            pass
