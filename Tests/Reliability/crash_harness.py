#!/usr/bin/env python3
"""Guarantees 1–3 under kill -9: the server is killed at random moments while clients send, and
restarted; every acknowledged message is there exactly once, in order, with no seq gap.

Usage: crash_harness.py BINARY DATA_DIR CYCLES [DATABASE_URL] [--term]

With --term the server gets SIGTERM instead (graceful shutdown under load): besides the checks
below, each stop must end the process with status 0 within 10 s, and every client connection must
end with a close frame of 1001 (going away) — never a dropped socket.

Four clients send over the stream with nonces, each recording every ack and every event it
receives. Each cycle starts the server, lets the clients send for a random 0.3–2 s, and kills
the server with SIGKILL. On reconnecting, a client first re-sends what was never acked, with
the same nonce (a retry must return the original ack, never a second message), and resumes its
subscription from the last seq it saw. After the last cycle (and, on SQLite, after every kill:
`PRAGMA integrity_check`), the channel is read back over HTTP and checked:
- every acked message is present exactly once, at the seq its ack gave, with its body;
- the channel's seqs run 1..N with no gap; no nonce was stored twice;
- each client saw events in strictly consecutive seqs across all its reconnects.
Prints the figures; exits 1 on any failure.
"""
import json
import os
import random
import signal
import subprocess
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stream_fuzz  # noqa: E402  (its raw WebSocket client)

TERM = "--term" in sys.argv
ARGS = [argument for argument in sys.argv[1:] if argument != "--term"]
BINARY, DATA, CYCLES = ARGS[0], ARGS[1], int(ARGS[2])
START = time.time()
DATABASE = ARGS[3] if len(ARGS) > 3 else None
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, flush=True)


def start():
    return harness.start(BINARY, DATA, DATABASE)


call = harness.call


class Client:
    def __init__(self, name, token, channel):
        self.name, self.token, self.channel = name, token, channel
        self.acked = {}       # nonce → (message id, seq, body)
        self.pending = {}     # nonce → body, sent and not yet acked
        self.seen = []        # seqs of events received, in order
        self.sent = 0
        self.retried = 0
        self.closes = []      # close codes the server sent
        self.dropped = 0      # connections that ended without a close frame
        self.drops = []       # how each ended, and when (seconds since the harness began)
        self.counter = 0

    def run(self, port, stop, drain=False):
        """Sends until `stop`; with `drain`, only re-sends what was never acked, then returns."""
        try:
            connection = stream_fuzz.Raw("127.0.0.1", port, self.token)
        except Exception:
            return
        try:
            since = self.seen[-1] if self.seen else None
            frame = {"op": "subscribe", "channel": self.channel, "ref": "sub"}
            if since is not None:
                frame["since"] = since
            connection.text(json.dumps(frame))
            # Re-send what was never acked, with the same nonces.
            queue = [(nonce, body, True) for nonce, body in self.pending.items()]
            while not stop.is_set():
                if queue:
                    nonce, body, retry = queue.pop(0)
                elif drain:
                    return
                else:
                    self.counter += 1
                    nonce, body, retry = f"{self.name}-{self.counter}", f"{self.name} message {self.counter}", False
                    self.pending[nonce] = body
                ref = "s-" + nonce
                connection.text(json.dumps({"op": "send", "channel": self.channel, "body": body, "nonce": nonce, "ref": ref}))
                self.sent += 1
                self.retried += retry
                while True:
                    frame = connection.next()
                    if isinstance(frame, tuple):
                        self.closes.append(frame[1])
                        return
                    if frame is None:
                        self.dropped += 1
                        self.drops.append(f"{getattr(connection, 'ended', '?')} at {time.time() - START:.2f} s")
                        return
                    if frame.get("op") == "event" and frame.get("channel") == self.channel:
                        self.seen.append(frame["seq"])
                    if frame.get("ref") == ref:
                        if frame.get("op") == "ack":
                            previous = self.acked.get(nonce)
                            if previous is not None:
                                check(previous[0] == frame["message"], f"{self.name}: a retried nonce {nonce} got a different message")
                            self.acked[nonce] = (frame["message"], frame["seq"], body)
                            self.pending.pop(nonce, None)
                        elif frame.get("op") == "error":
                            check(frame.get("code") in ("rate_limited", "unavailable"), f"{self.name}: send refused: {frame}")
                            queue.insert(0, (nonce, body, True))
                            time.sleep(0.05)
                        break
        finally:
            connection.close()


def integrity():
    if DATABASE:
        return
    with sqlite3.connect(os.path.join(DATA, "convene.sqlite")) as database:
        result = database.execute("PRAGMA integrity_check").fetchone()[0]
    check(result == "ok", f"integrity_check after a kill: {result}")


def main():
    began = time.time()
    random.seed(int(os.environ.get("CRASH_SEED", "1")))
    process, port = start()
    tokens = []
    stamp = str(int(time.time() * 1000))
    for index in range(4):
        reply = call(port, "POST", "/api/v1/auth/register",
                     {"email": f"crash{index}-{stamp}@example.org", "password": "correct horse battery staple", "display_name": f"Crash {index}"})
        tokens.append(reply["token"])
        call(port, "POST", "/api/v1/communities/ohio/join", token=reply["token"])
    channel = next(c["id"] for c in call(port, "GET", "/api/v1/communities/ohio/channels", token=tokens[0])["channels"] if c["name"] == "general")
    base = call(port, "GET", f"/api/v1/channels/{channel}/messages?limit=1", token=tokens[0])["messages"]
    first_seq = base[-1]["seq"] if base else 0
    clients = [Client(f"c{index}-{stamp}", token, channel) for index, token in enumerate(tokens)]
    for client in clients:
        client.seen.append(first_seq)

    stops, terms = [], []
    for cycle in range(CYCLES + 1):
        if os.environ.get("CRASH_VERBOSE"):
            print(f"cycle {cycle}: acked {sum(len(c.acked) for c in clients)}, pending {sum(len(c.pending) for c in clients)}", flush=True)
        if cycle > 0:
            process, port = start()
        stop = threading.Event()
        threads = [threading.Thread(target=client.run, args=(port, stop, cycle == CYCLES)) for client in clients]
        for thread in threads:
            thread.start()
        if cycle == CYCLES:
            # The last round: no kill; every send never acked is retried, and nothing new is sent.
            for thread in threads:
                thread.join(timeout=60)
            stop.set()
            break
        time.sleep(random.uniform(0.3, 2.0))
        if TERM:
            asked = time.time()
            terms.append(asked - START)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            stops.append(time.time() - asked)
            check(process.returncode == 0, f"cycle {cycle}: SIGTERM ended the server with status {process.returncode}")
        else:
            process.send_signal(signal.SIGKILL)
            process.wait()
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        integrity()

    # Read the channel back.
    stored, after = [], first_seq
    while True:
        page = call(port, "GET", f"/api/v1/channels/{channel}/messages?after_seq={after}&limit=200", token=tokens[0])
        stored += page["messages"]
        if not page["messages"] or not page["has_more"]:
            break
        after = page["messages"][-1]["seq"]
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)

    seqs = [message["seq"] for message in stored]
    check(seqs == list(range(first_seq + 1, first_seq + 1 + len(seqs))), f"seqs run without gaps from {first_seq + 1}: {seqs[:20]}…")
    by_id = {message["id"]: message for message in stored}
    bodies = [message["body"] for message in stored]
    check(len(bodies) == len(set(bodies)), f"no message stored twice ({len(bodies) - len(set(bodies))} duplicates)")
    acked = 0
    for client in clients:
        for nonce, (message_id, seq, body) in client.acked.items():
            acked += 1
            stored_message = by_id.get(message_id)
            check(stored_message is not None, f"acked {nonce} (message {message_id}) is missing")
            if stored_message:
                check(stored_message["seq"] == seq and stored_message["body"] == body, f"acked {nonce} is at seq {stored_message['seq']}, ack said {seq}")
        check(not client.pending, f"{client.name}: {len(client.pending)} sends never acked")
        gaps = [(a, b) for a, b in zip(client.seen, client.seen[1:]) if b != a + 1]
        check(not gaps, f"{client.name}: events skipped or repeated across reconnects: {gaps[:5]}")
    if TERM:
        check(max(stops) < 10, f"every graceful stop within 10 s (slowest {max(stops):.1f} s)")
        for client in clients:
            check(client.dropped == 0, f"{client.name}: {client.dropped} connections dropped without a close frame ({', '.join(client.drops)}; SIGTERMs at {', '.join(f'{t:.2f}' for t in terms)} s)")
            check(all(code == 1001 for code in client.closes), f"{client.name}: close codes {sorted(set(client.closes))}")
    kills = CYCLES
    if TERM and not failures:
        print(f"graceful shutdown: {CYCLES} SIGTERMs under load, slowest stop {max(stops):.2f} s, close codes "
              f"{sorted(set(code for client in clients for code in client.closes))}, 0 dropped connections", flush=True)
    print(f"crash harness: {kills} {'SIGTERMs' if TERM else 'kills'}, {len(clients)} clients, {sum(c.sent for c in clients)} sends ({sum(c.retried for c in clients)} retries), "
          f"{acked} acked, {len(stored)} stored, lost 0 of {acked} acked, duplicated 0, {time.time() - began:.0f} s" if not failures else
          f"crash harness: {kills} {'SIGTERMs' if TERM else 'kills'}, {acked} acked, {len(stored)} stored, {len(failures)} failures", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
