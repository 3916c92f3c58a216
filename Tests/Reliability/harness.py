"""What the reliability scripts share: starting a `convene serve` process and calling its HTTP API."""
import json
import os
import re
import subprocess
import threading
import time
import urllib.request


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


def call(port, method, path, body=None, token=None):
    """The JSON answer to one request; raises urllib's HTTPError on a 4xx or 5xx."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
        return json.loads(text) if text else None
