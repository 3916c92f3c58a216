#!/usr/bin/env python3
"""A full disk: writes fail with a clear 503 and no ack, nothing acked is lost, and the node
recovers when space returns.

Usage: disk_full.py BINARY

Mounts a 32 MiB tmpfs (needs root; where mounting is not permitted it prints "skipped:" with the
reason and exits 0), starts the node with its SQLite data folder there, and fills what is left
with a file. Then, over the stream and over HTTP, every write is refused with `unavailable` —
an error frame instead of an ack, a 503 with the API's error body — while reads still answer and
the node stays up. The file is removed: the same nonces, sent again, are acked once, new writes
too, every message acked before, during and after is stored exactly once in seq order, and
`PRAGMA integrity_check` is ok. Exits 1 on any failure.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stream_fuzz  # noqa: E402  (its raw WebSocket client)

BINARY = sys.argv[1]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, flush=True)


def fill(path):
    """Writes `path` until the filesystem refuses a byte more."""
    with open(path, "wb", buffering=0) as filler:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            chunk = b"\0" * size
            try:
                while True:
                    filler.write(chunk)
            except OSError:
                pass


def send(stream, channel, nonce):
    """The ack or error frame answering one send."""
    ref = "r-" + nonce
    stream.text(json.dumps({"op": "send", "channel": channel, "body": "disk " + nonce, "nonce": nonce, "ref": ref}))
    return stream.reply_to(ref)


def main():
    mount = tempfile.mkdtemp(prefix="convene-disk-")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", mount], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"skipped: a tmpfs could not be mounted here ({result.stderr.strip() or result.returncode})", flush=True)
        os.rmdir(mount)
        return
    process = None
    try:
        data = os.path.join(mount, "data")
        os.mkdir(data)
        process, port = harness.start(BINARY, data)
        reply = harness.call(port, "POST", "/api/v1/auth/register",
                             {"email": "disk@example.org", "password": "correct horse battery staple", "display_name": "Disk"})
        token = reply["token"]
        harness.call(port, "POST", "/api/v1/communities/ohio/join", token=token)
        channel = next(c["id"] for c in harness.call(port, "GET", "/api/v1/communities/ohio/channels", token=token)["channels"]
                       if c["name"] == "general")
        stream = stream_fuzz.Raw("127.0.0.1", port, token)
        acked = {}
        for index in range(20):
            frame = send(stream, channel, f"before-{index}")
            check(isinstance(frame, dict) and frame.get("op") == "ack", f"a send before the disk fills is acked: {frame}")
            if isinstance(frame, dict) and frame.get("op") == "ack":
                acked[f"before-{index}"] = frame["seq"]

        filler = os.path.join(mount, "filler")
        fill(filler)
        refused = []
        # The WAL may still hold free pages: send until the disk refuses (a few hundred at most).
        for index in range(2000):
            nonce = f"full-{index}"
            frame = send(stream, channel, nonce)
            if isinstance(frame, dict) and frame.get("op") == "ack":
                acked[nonce] = frame["seq"]
                continue
            check(isinstance(frame, dict) and frame.get("op") == "error" and frame.get("code") == "unavailable",
                  f"a send on a full disk gets an unavailable error frame, not {frame}")
            refused.append(nonce)
            if len(refused) >= 5:
                break
        check(len(refused) >= 5, f"sends on a full disk are refused (after {len(acked)} acks)")
        print(f"full disk: {len(acked) - 20} sends acked after filling before the first refusal; then refused: {refused}", flush=True)
        for nonce in refused:
            check(nonce not in acked, f"{nonce} was both refused and acked")
        try:
            harness.call(port, "POST", f"/api/v1/channels/{channel}/messages", {"body": "over http", "nonce": "http-full"}, token=token)
            check(False, "a post over HTTP on a full disk is refused")
        except urllib.error.HTTPError as error:
            body = json.loads(error.read() or b"{}")
            check(error.code == 503 and body.get("error", {}).get("code") == "unavailable" and "disk" in body.get("error", {}).get("message", ""),
                  f"HTTP on a full disk answers 503 unavailable naming the disk: {error.code} {body}")
        check(harness.call(port, "GET", f"/api/v1/channels/{channel}/messages?limit=5", token=token) is not None, "reads still answer on a full disk")
        ping = stream_fuzz.Raw("127.0.0.1", port, token)
        ping.text(json.dumps({"op": "ping", "ref": "p"}))
        check((ping.reply_to("p") or {}).get("op") == "pong", "a new stream connection is served on a full disk")
        ping.close()

        os.remove(filler)
        time.sleep(0.2)
        for nonce in refused:
            frame = send(stream, channel, nonce)
            check(isinstance(frame, dict) and frame.get("op") == "ack", f"{nonce}, sent again once space returned, is acked: {frame}")
            if isinstance(frame, dict) and frame.get("op") == "ack":
                acked[nonce] = frame["seq"]
        for index in range(20):
            frame = send(stream, channel, f"after-{index}")
            check(isinstance(frame, dict) and frame.get("op") == "ack", f"a new send after recovery is acked: {frame}")
            if isinstance(frame, dict) and frame.get("op") == "ack":
                acked[f"after-{index}"] = frame["seq"]
        again = send(stream, channel, "before-0")
        check(isinstance(again, dict) and again.get("seq") == acked["before-0"], f"a repeated nonce still returns its first ack: {again}")
        stream.close()

        stored, after = [], 0
        while True:
            page = harness.call(port, "GET", f"/api/v1/channels/{channel}/messages?after_seq={after}&limit=200", token=token)
            stored += page["messages"]
            if not page["messages"] or not page["has_more"]:
                break
            after = page["messages"][-1]["seq"]
        mine = {message["body"][len("disk "):]: message["seq"] for message in stored if message["body"].startswith("disk ")}
        check(len([m for m in stored if m["body"].startswith("disk ")]) == len(mine), "no message stored twice")
        for nonce, seq in acked.items():
            check(mine.get(nonce) == seq, f"acked {nonce} is stored at seq {seq} (found {mine.get(nonce)})")
        check(set(mine) == set(acked), f"only acked messages are stored ({sorted(set(mine) - set(acked))[:5]})")
        seqs = [message["seq"] for message in stored]
        check(seqs == list(range(seqs[0], seqs[0] + len(seqs))), "the channel's seqs run without a gap")
        with sqlite3.connect(os.path.join(data, "convene.sqlite")) as database:
            integrity = database.execute("PRAGMA integrity_check").fetchone()[0]
        check(integrity == "ok", f"integrity_check: {integrity}")
        print(f"disk full: {len(refused)} sends refused with 503/unavailable while full, {len(acked)} acked in all, "
              f"0 lost, 0 duplicated, recovered when space returned, integrity {integrity}"
              + ("" if not failures else f", {len(failures)} failures"), flush=True)
    finally:
        if process:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        subprocess.run(["umount", "-l", mount])
        os.rmdir(mount)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
