#!/usr/bin/env python3
"""One client that stops reading, among clients that keep up: the figures.

Usage: slow_consumer.py BINARY DATA_DIR [SECONDS]

Twenty clients subscribe to one channel; a writer sends over the stream at a steady 100 messages a
second, each carrying the moment it was sent; every client records how long each message took to
reach it. After a 3-second warm-up, three runs of SECONDS (default 10) each on one node: without a slow
client, with one more client that subscribes and then never reads again (its socket buffers
fill, then its outbox), and without again.
Checked: the slow client is let go — the node closes it (1013, or drops it when even the close
frame cannot be written; counted in /metrics as a slow_consumer close) once its outbox passes
`limits.outbox_frames`; the others receive every
message, in order; the node's resident memory after the slow run is within 64 MiB of the first
run's. Printed, not checked (a figure, not a timed test): the others' p50/p99 delivery latency
in both runs and their ratio. Exits 1 on a failed check.
"""
import asyncio
import json
import os
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Closed, Stream  # noqa: E402

BINARY, DATA = sys.argv[1], sys.argv[2]
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
READERS, RATE, OUTBOX = 20, 100, 256
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, flush=True)


def resident_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


async def reader(port, token, channel, latencies, seqs, ready):
    stream = await Stream.open(port, token)
    stream.text({"op": "subscribe", "channel": channel, "ref": "sub"})
    ready.set()
    try:
        while True:
            frame = await stream.next()
            if frame.get("op") == "event" and frame.get("channel") == channel:
                body = (frame.get("data") or {}).get("body", "")
                if body.startswith("t="):
                    latencies.append(time.time() - float(body[2:].split(" ")[0]))
                    seqs.append(frame["seq"])
    except (Closed, asyncio.CancelledError):
        pass
    finally:
        stream.close()


def slow_client(port, token, channel):
    """A raw socket that subscribes, then never reads: its receive buffer is kept small."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    sock.sendall((f"GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    payload = json.dumps({"op": "subscribe", "channel": channel}).encode()
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
    return sock


def slow_closes(port):
    """How many stream connections the node has closed as too slow (its metrics)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith('convene_stream_closes_total{reason="slow_consumer"}'):
                return int(float(line.split()[-1]))
    return 0


async def run(port, tokens, channel, slow, label, seconds=SECONDS):
    latencies = [[] for _ in range(READERS)]
    seqs = [[] for _ in range(READERS)]
    readies = [asyncio.Event() for _ in range(READERS)]
    tasks = [asyncio.create_task(reader(port, tokens[i % len(tokens)], channel, latencies[i], seqs[i], readies[i])) for i in range(READERS)]
    await asyncio.gather(*(ready.wait() for ready in readies))
    await asyncio.sleep(0.5)
    sock = slow_client(port, tokens[0], channel) if slow else None
    writer = await Stream.open(port, tokens[-1])
    loop = asyncio.get_running_loop()
    closes_before = await loop.run_in_executor(None, slow_closes, port)
    sent, began, closed_after, polled = 0, time.time(), None, time.time()
    acks = asyncio.create_task(drain_acks(writer))
    while time.time() - began < seconds:
        writer.text({"op": "send", "channel": channel, "body": f"t={time.time():.6f} " + "x" * 3000, "nonce": f"{label}-{sent}"})
        sent += 1
        if sock is not None and closed_after is None and time.time() - polled > 0.25:
            polled = time.time()
            if await loop.run_in_executor(None, slow_closes, port) > closes_before:
                closed_after = sent
        await asyncio.sleep(max(0.0, began + sent / RATE - time.time()))
    await asyncio.sleep(2)
    if sock is not None and closed_after is None and await loop.run_in_executor(None, slow_closes, port) > closes_before:
        closed_after = sent
    for task in tasks + [acks]:
        task.cancel()
    await asyncio.gather(*tasks, acks, return_exceptions=True)
    writer.close()
    if sock is not None:
        sock.close()
    return latencies, seqs, sent, closed_after


async def drain_acks(stream):
    try:
        while True:
            await stream.next()
    except (Closed, asyncio.CancelledError):
        pass


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


async def main():
    process, port = harness.start(BINARY, DATA, environment={"CONVENE_LIMITS_OUTBOX_FRAMES": str(OUTBOX)})
    try:
        tokens = []
        stamp = str(int(time.time() * 1000))
        for index in range(5):
            reply = harness.call(port, "POST", "/api/v1/auth/register",
                                 {"email": f"slow{index}-{stamp}@example.org", "password": "correct horse battery staple", "display_name": f"Slow {index}"})
            tokens.append(reply["token"])
            harness.call(port, "POST", "/api/v1/communities/ohio/join", token=reply["token"])
        channel = next(c["id"] for c in harness.call(port, "GET", "/api/v1/communities/ohio/channels", token=tokens[0])["channels"] if c["name"] == "general")
        figures = {}
        # A first run warms the node and the clients up; its figures are not kept.
        await run(port, tokens, channel, False, "warm-up", seconds=3)
        # Plain, slow, plain again: the order alone moves these figures on two shared cores, so the
        # slow run is compared with both plain runs.
        for label, slow in (("before", False), ("slow", True), ("after", False)):
            latencies, seqs, sent, closed_after = await run(port, tokens, channel, slow, label)
            flat = [value for values in latencies for value in values]
            for index, received in enumerate(seqs):
                check(len(received) == sent and received == sorted(received) and len(set(received)) == len(received),
                      f"{label} run: reader {index} received {len(received)} of {sent}, in order once")
            figures[label] = (percentile(flat, 0.5), percentile(flat, 0.99), sent, closed_after, resident_kb(process.pid))
            if slow:
                check(closed_after is not None, "the client that stopped reading was closed by the node")
        rss_before, rss_slow = figures["before"][4], figures["slow"][4]
        check(rss_slow - rss_before < 64 * 1024, f"resident memory stays bounded: {rss_before // 1024} MiB, then {rss_slow // 1024} MiB with the slow client")
        plain_p99 = (figures["before"][1] + figures["after"][1]) / 2
        print(f"slow consumer: {READERS} readers, {RATE} msg/s for {SECONDS:.0f} s per run, outbox bound {OUTBOX} frames; "
              + "; ".join(f"{label} p50 {figures[label][0] * 1000:.1f} ms p99 {figures[label][1] * 1000:.1f} ms" for label in ("before", "slow", "after"))
              + f"; slow-run p99 / plain p99 {figures['slow'][1] / plain_p99:.2f}; the slow client was closed by message {figures['slow'][3]} of {figures['slow'][2]}; "
              f"RSS {rss_before // 1024} MiB, {rss_slow // 1024} MiB with the slow client, {figures['after'][4] // 1024} MiB after"
              + ("" if not failures else f"; {len(failures)} failures"), flush=True)
    finally:
        process.terminate()
        process.wait(timeout=15)
    return 1 if failures else 0


if __name__ == "__main__":
    harness.run_main(main)
