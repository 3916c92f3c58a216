#!/usr/bin/env python3
"""Hostile input on the stream: a raw WebSocket client (so it can send what no library would)
throws garbage at /api/v1/stream and checks that the server answers each abuse with an `error`
frame (naming the request's ref when it can) or the documented close code, and stays up for
everyone else.

Usage: stream_fuzz.py HOST PORT TOKEN [FRAME_LIMIT]

Cases: malformed JSON, non-object JSON, missing op, unknown ops, every op with mistyped fields,
deep nesting, a long ref, binary frames, a message over the frame limit (1009), invalid UTF-8 in a
text frame (1007), a text message fragmented into continuation frames (handled like one),
a continuation frame with no start (1002), a reserved opcode or bit (1002), and 500 random byte
strings as text. (An unmasked client frame is not refused: swift-websocket does not check masking;
RELIABILITY.md notes it.) After each closing case, and at the end, a fresh
client still gets its `pong`. Prints a summary line; exits 1 on any failure.
"""
import base64
import json
import os
import random
import socket
import struct
import sys

HOST, PORT, TOKEN, FRAME_LIMIT = None, None, None, 65536
failures = []
cases = 0


def check(condition, message):
    global cases
    cases += 1
    if not condition:
        failures.append(message)
        print("FAIL:", message, flush=True)


class Raw:
    """A WebSocket client that writes frames byte by byte as told."""

    def __init__(self, host=None, port=None, token=None):
        host, port, token = host or HOST, port or PORT, token or TOKEN
        self.sock = socket.create_connection((host, port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET /api/v1/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n")
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError(head.decode(errors="replace"))
        self.buffer = b""
        ready = self.next()
        assert ready and ready.get("op") == "ready", ready

    def frame(self, opcode, payload, fin=True, mask=True, rsv=0):
        first = (0x80 if fin else 0) | (rsv << 4) | opcode
        length = len(payload)
        header = bytes([first])
        mask_bit = 0x80 if mask else 0
        if length < 126:
            header += bytes([mask_bit | length])
        elif length < 65536:
            header += bytes([mask_bit | 126]) + struct.pack(">H", length)
        else:
            header += bytes([mask_bit | 127]) + struct.pack(">Q", length)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            header += key
        try:
            self.sock.sendall(header + payload)
        except OSError:
            pass

    def text(self, text):
        self.frame(0x1, text.encode() if isinstance(text, str) else text)

    def read_exact(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def read_frame(self):
        first, second = self.read_exact(2)
        opcode, length = first & 0x0F, second & 0x7F
        if length == 126:
            length = struct.unpack(">H", self.read_exact(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self.read_exact(8))[0]
        return opcode, self.read_exact(length)

    def next(self):
        """The next text frame as JSON; ('close', code) on a close frame; None when the socket ends."""
        try:
            while True:
                opcode, payload = self.read_frame()
                if opcode == 0x1:
                    return json.loads(payload)
                if opcode == 0x8:
                    code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                    return ("close", code)
                if opcode == 0x9:
                    self.frame(0xA, payload)
        except (ConnectionError, OSError, socket.timeout) as error:
            # How the socket ended, for a harness to report.
            self.ended = "timeout" if isinstance(error, socket.timeout) else "reset" if isinstance(error, ConnectionResetError) else str(error) or type(error).__name__
            return None

    def reply_to(self, ref):
        """The frame answering `ref` (skipping others)."""
        while True:
            frame = self.next()
            if frame is None or isinstance(frame, tuple) or frame.get("ref") == ref:
                return frame

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def alive(label):
    client = Raw()
    client.text(json.dumps({"op": "ping", "ref": "alive"}))
    reply = client.reply_to("alive")
    check(isinstance(reply, dict) and reply.get("op") == "pong", f"the server answers a fresh client after {label}")
    client.close()


def expect_error(client, text, label, ref=None):
    client.text(text)
    client.text(json.dumps({"op": "ping", "ref": "after"}))
    got_error = False
    while True:
        frame = client.next()
        if frame is None or isinstance(frame, tuple):
            check(False, f"{label}: the connection ended ({frame})")
            return
        if frame.get("op") == "error":
            got_error = True
            check(frame.get("code") not in ("internal_error", None), f"{label}: a client's error, not {frame.get('code')}")
            if ref is not None:
                check(frame.get("ref") == ref, f"{label}: the error names ref {ref!r}, got {frame.get('ref')!r}")
        if frame.get("op") == "pong" and frame.get("ref") == "after":
            break
    check(got_error, f"{label}: answered with an error frame")


def expect_close(make, code, label):
    client = Raw()
    make(client)
    frame = client.next()
    while isinstance(frame, dict):
        frame = client.next()
    check(frame == ("close", code) or (frame is None and code is None), f"{label}: closed with {code}, got {frame}")
    client.close()
    alive(label)


def main():
    global HOST, PORT, TOKEN, FRAME_LIMIT
    HOST, PORT, TOKEN = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    FRAME_LIMIT = int(sys.argv[4]) if len(sys.argv) > 4 else 65536
    client = Raw()
    for index, text in enumerate(["{", "nul", "[1,2,3]", "42", '"op"', "{}", '{"op":}', '{"op":null}', '{"op":123}', "{" * 5000 + "}" * 5000]):
        expect_error(client, text, f"malformed #{index}")
    expect_error(client, json.dumps({"op": "ping", "ref": "x" * 200}), "a ref over 128 bytes")
    for op in ["nope", "SEND", "call.nope", "subscribe ", "", "🙂"]:
        expect_error(client, json.dumps({"op": op, "ref": f"op-{op}"}), f"unknown op {op!r}", ref=f"op-{op}")
    # Every op with each field mistyped (and some missing).
    fields = {
        "subscribe": ["channel", "since"], "unsubscribe": ["channel"], "send": ["channel", "body", "nonce", "thread"],
        "edit": ["message", "body"], "delete": ["message"], "react": ["message", "emoji", "on"], "typing": ["channel"],
        "read": ["channel", "seq"], "watch_presence": ["community"], "unwatch_presence": ["community"], "presence": ["status"],
        "follow_question": ["question"], "unfollow_question": ["question"], "call.join": ["occurrence"], "call.knock": ["occurrence"],
        "call.admit": ["occurrence", "user"], "call.hand": ["occurrence", "raised"], "call.mute": ["occurrence", "user", "muted"],
        "call.lock": ["occurrence", "locked"], "call.signal": ["occurrence", "to", "kind"], "call.chat": ["occurrence", "body", "nonce"],
        "call.ask": ["occurrence", "text"], "call.upvote": ["occurrence", "question"], "call.leave": ["occurrence"],
    }
    wrong = [{"a": 1}, [1], "text", 1.5, True, -1, 2 ** 70]
    for op, names in fields.items():
        expect_error(client, json.dumps({"op": op, "ref": f"{op}-empty"}), f"{op} without its fields", ref=f"{op}-empty")
        for name in names:
            for value in wrong:
                frame = {"op": op, "ref": f"{op}-{name}"}
                for other in names:
                    frame[other] = 1 if other != "occurrence" else "1-20261013T1600"
                frame[name] = value
                client.text(json.dumps(frame))
                client.text(json.dumps({"op": "ping", "ref": "after"}))
                while True:
                    reply = client.next()
                    if reply is None or isinstance(reply, tuple):
                        check(False, f"{op} with {name}={value!r}: the connection ended ({reply})")
                        client = Raw()
                        break
                    check(not (reply.get("op") == "error" and reply.get("code") == "internal_error"), f"{op} with {name}={value!r}: no internal error")
                    if reply.get("op") == "pong" and reply.get("ref") == "after":
                        break
    # Random bytes as text: valid UTF-8 junk gets error frames; the server never falls over.
    rng = random.Random(7)
    for index in range(500):
        junk = bytes(rng.randrange(32, 127) for _ in range(rng.randrange(1, 200))).decode()
        expect_error(client, junk if not junk.lstrip().startswith("{") else "x" + junk, f"junk #{index}") if index % 50 == 0 else client.text(junk)
    client.text(json.dumps({"op": "ping", "ref": "junk-done"}))
    check(isinstance(client.reply_to("junk-done"), dict), "after 500 junk frames the connection still answers")
    # A binary frame gets an error frame.
    client.frame(0x2, b"\x00\x01\x02")
    client.text(json.dumps({"op": "ping", "ref": "bin"}))
    frames = []
    while True:
        frame = client.next()
        if frame is None or isinstance(frame, tuple) or frame.get("ref") == "bin":
            break
        frames.append(frame)
    check(any(f.get("op") == "error" for f in frames), "a binary frame gets an error frame")
    # A fragmented text message is one message.
    message = json.dumps({"op": "ping", "ref": "fragmented"}).encode()
    client.frame(0x1, message[:5], fin=False)
    client.frame(0x0, message[5:12], fin=False)
    client.frame(0x0, message[12:], fin=True)
    reply = client.reply_to("fragmented")
    check(isinstance(reply, dict) and reply.get("op") == "pong", f"a fragmented message is answered as one: {reply}")
    client.close()
    alive("the field cases")

    # Closing cases.
    expect_close(lambda c: c.text(json.dumps({"op": "ping", "pad": "x" * (FRAME_LIMIT + 10)})), 1009, "a message over the limit")
    expect_close(lambda c: c.text(b'{"op":"ping","x":"\xff\xfe"}'), 1007, "invalid UTF-8 in a text frame")
    expect_close(lambda c: c.frame(0x0, b"orphan"), 1002, "a continuation with no start")
    expect_close(lambda c: c.frame(0x3, b"x"), 1002, "a reserved opcode")
    expect_close(lambda c: c.frame(0x1, b'{"op":"ping"}', rsv=2), 1002, "a reserved bit")
    alive("everything")
    print(f"stream fuzz: {cases} checks, {len(failures)} failed", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
