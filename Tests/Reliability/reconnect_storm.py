#!/usr/bin/env python3
"""A reconnect storm: every stream client of a node loses its connection at once and comes back.

Usage: reconnect_storm.py BINARY DATA_DIR CLIENTS [DATABASE_URL]

CLIENTS stream connections (spread over 20 members, as devices would be) subscribe to one channel
and see a first batch of messages live. Then the server is killed (SIGKILL: every socket drops
without a close frame) and started again at once, and a writer posts a second batch while the
clients come back: each reconnects with jittered exponential backoff (a random wait up to
min(5 s, 0.25 s × 2^attempt): "full jitter", so they do not all knock at the same instant), then
subscribes from the last seq it saw. The run passes when every client has seen every message of
both batches exactly once and in order — 0 missed, 0 duplicated — within 180 s of the restart.

Prints how long until all were connected again and until all had caught up, the connection
attempts it took, and the server's peak memory; exits 1 on any failure.
"""
import asyncio
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Closed, Stream  # noqa: E402

BINARY, DATA, CLIENTS = sys.argv[1], sys.argv[2], int(sys.argv[3])
DATABASE = sys.argv[4] if len(sys.argv) > 4 else None
MEMBERS = 20
FIRST_BATCH, SECOND_BATCH = 20, 60
BASE, CAP = 0.25, 5.0
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        if len(failures) <= 30:  # thousands of clients may fail alike: the first few tell
            print("FAIL:", message, flush=True)


class Client:
    def __init__(self, name, token, channel, last):
        self.name, self.token, self.channel, self.last = name, token, channel, last
        self.seen = []
        self.duplicates = 0
        self.gaps = []
        self.attempts = 0          # failed connection attempts after the drop
        self.connected = None      # when it was subscribed again after the drop
        self.caught_up = None      # when it had seen `target`
        self.target = None
        self.dropped = False
        self.subscribed = asyncio.Event()
        self.stream = None

    async def run(self, ports, stop):
        attempt = 0
        while not stop.is_set():
            opened = False
            try:
                self.stream = await Stream.open(ports[0], self.token)
                opened = True
                self.stream.text({"op": "subscribe", "channel": self.channel, "since": self.last, "ref": "sub"})
                attempt = 0
                while True:
                    frame = await self.stream.next()
                    op = frame.get("op")
                    if op == "subscribed" and frame.get("ref") == "sub":
                        self.subscribed.set()
                        if self.dropped and self.connected is None:
                            self.connected = time.time()
                    elif op == "error":
                        check(False, f"{self.name}: error frame {frame}")
                    elif op == "event" and frame.get("channel") == self.channel:
                        seq = frame["seq"]
                        if seq <= self.last:
                            self.duplicates += 1
                            continue
                        if seq != self.last + 1:
                            self.gaps.append((self.last, seq))
                        self.seen.append(seq)
                        self.last = seq
                        if self.target is not None and seq >= self.target and self.caught_up is None:
                            self.caught_up = time.time()
            except (Closed, OSError, asyncio.TimeoutError):
                if self.stream:
                    self.stream.close()
                    self.stream = None
                if stop.is_set():
                    return
                if self.dropped and not opened:
                    self.attempts += 1
                await asyncio.sleep(random.uniform(0, min(CAP, BASE * 2 ** attempt)))
                attempt += 1


def post(port, channel, token, body):
    return harness.call(port, "POST", f"/api/v1/channels/{channel}/messages", {"body": body}, token=token, key=body.replace(" ", "-"))["seq"]


def resident_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return 0


async def main():
    random.seed(int(os.environ.get("STORM_SEED", "1")))
    process, port = harness.start(BINARY, DATA, DATABASE)
    ports = [port]
    stamp = str(int(time.time() * 1000))
    tokens = []
    for index in range(MEMBERS):
        reply = harness.call(port, "POST", "/api/v1/auth/register",
                             {"email": f"storm{index}-{stamp}@example.org", "password": "correct horse battery staple", "display_name": f"Storm {index}"})
        tokens.append(reply["token"])
        harness.call(port, "POST", "/api/v1/communities/ohio/join", token=reply["token"])
    channel = next(c["id"] for c in harness.call(port, "GET", "/api/v1/communities/ohio/channels", token=tokens[0])["channels"] if c["name"] == "general")
    base = harness.call(port, "GET", f"/api/v1/channels/{channel}/messages?limit=1", token=tokens[0])["messages"]
    first_seq = base[-1]["seq"] if base else 0
    clients = [Client(f"client{index}", tokens[index % MEMBERS], channel, first_seq) for index in range(CLIENTS)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(client.run(ports, stop)) for client in clients]
    began = time.time()
    try:
        await asyncio.wait_for(asyncio.gather(*(client.subscribed.wait() for client in clients)), 120)
    except asyncio.TimeoutError:
        check(False, f"only {sum(c.subscribed.is_set() for c in clients)} of {CLIENTS} clients connected within 120 s")
    print(f"{CLIENTS} clients subscribed in {time.time() - began:.1f} s", flush=True)

    loop = asyncio.get_running_loop()
    last = first_seq
    for index in range(FIRST_BATCH):
        last = await loop.run_in_executor(None, post, port, channel, tokens[index % MEMBERS], f"before the drop {index}")
    deadline = time.time() + 60
    while time.time() < deadline and any(client.last < last for client in clients):
        await asyncio.sleep(0.1)
    check(all(client.last == last for client in clients), "every client saw the first batch live")
    peak_before = resident_kb(process.pid)

    # The drop: every socket at once, with no close frame; then the node comes back.
    for client in clients:
        client.dropped = True
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed = time.time()
    # Started off the event loop, so the clients knock (and are refused) while it starts.
    process, port = await loop.run_in_executor(None, harness.start, BINARY, DATA, DATABASE)
    ports[0] = port
    restarted = time.time()
    target = last + SECOND_BATCH
    for client in clients:
        client.target = target
    for index in range(SECOND_BATCH):
        last = await loop.run_in_executor(None, post, port, channel, tokens[index % MEMBERS], f"during the storm {index}")
        await asyncio.sleep(0.02)
    check(last == target, f"the second batch ends at seq {target} (it ended at {last})")
    posted = time.time()
    deadline = restarted + 180
    while time.time() < deadline and any(client.caught_up is None for client in clients):
        await asyncio.sleep(0.1)
    stop.set()
    for client in clients:
        if client.stream:
            client.stream.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    peak_after = resident_kb(process.pid)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)

    expected = list(range(first_seq + 1, target + 1))
    missed = sum(len(set(expected) - set(client.seen)) for client in clients)
    duplicated = sum(client.duplicates + len(client.seen) - len(set(client.seen)) for client in clients)
    behind = [client.name for client in clients if client.caught_up is None]
    check(not behind, f"{len(behind)} clients had not caught up 180 s after the restart (e.g. {behind[:3]})")
    check(missed == 0, f"{missed} messages missed in all")
    check(duplicated == 0, f"{duplicated} messages received twice in all")
    for client in clients:
        if client.seen != expected:
            check(False, f"{client.name}: saw {len(client.seen)} seqs, gaps {client.gaps[:3]}, expected {first_seq + 1}…{target}")
            break
    reconnected = max((client.connected or deadline) for client in clients) - restarted
    caught = max((client.caught_up or deadline) for client in clients) - restarted
    lag = max(0.0, max((client.caught_up or deadline) for client in clients) - posted)
    attempts = sorted(client.attempts for client in clients)
    print(f"reconnect storm: {CLIENTS} clients dropped at once (kill -9), {FIRST_BATCH}+{SECOND_BATCH} messages, "
          f"restart took {restarted - killed:.1f} s, all reconnected {reconnected:.1f} s and all caught up {caught:.1f} s after it "
          f"({lag:.1f} s after the last message was posted), "
          f"failed attempts per client median {attempts[len(attempts) // 2]} max {attempts[-1]}, "
          f"missed {missed}, duplicated {duplicated}, server peak RSS {peak_before // 1024} MiB before, {peak_after // 1024} MiB after the storm"
          + ("" if not failures else f", {len(failures)} failures"), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    harness.run_main(main)
