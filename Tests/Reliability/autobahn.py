#!/usr/bin/env python3
"""The Autobahn|Testsuite fuzzing client against the stream's WebSocket layer.

Usage: autobahn.py BINARY DATA_DIR [CASES]

Starts the node with `debug.websocket_echo` on, which serves `/api/v1/stream/echo` through the
stream's own WebSocket settings (frame cap, permessage-deflate, UTF-8 validation, auto-ping), and
runs `wstest -m fuzzingclient` against it: cases 1–7, 9, 10, 12.1 and 13.1 unless CASES (a
comma-separated list such as "12.*,13.*") names others. wstest is Python 2 only (`pip install --user
autobahntestsuite` under pyenv's 2.7); where it is not installed the script prints "skipped:" with
the reason and exits 0. Prints the count of each verdict; exits 1 when any case is FAILED (or its
closing behaviour is), and names them.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BINARY, DATA = sys.argv[1], sys.argv[2]
# Cases 12 and 13 (permessage-deflate) take 13 minutes whole against a debug build; by default the
# first group of each runs (every payload size, one compression setting), `12.*,13.*` runs them all.
CASES = sys.argv[3].split(",") if len(sys.argv) > 3 else ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.*", "10.*", "12.1.*", "13.1.*"]


def wstest():
    """The wstest command, or None."""
    candidates = [shutil.which("wstest"), os.path.expanduser("~/.local/bin/wstest")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/2.7*/bin/wstest")))
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


def main():
    command = wstest()
    if not command:
        print("skipped: Autobahn|Testsuite's wstest is not installed (it needs Python 2: "
              "pyenv's 2.7 with `pip install --user autobahntestsuite`)", flush=True)
        return 0
    os.makedirs(DATA, exist_ok=True)
    # Autobahn's largest messages are 16 MiB (cases 9.*): the echo takes them whole.
    process, port = harness.start(BINARY, DATA, environment={
        "CONVENE_DEBUG_WEBSOCKET_ECHO": "true", "CONVENE_LIMITS_FRAME_BYTES": str(16 * 1024 * 1024)})
    reports = os.path.join(DATA, "autobahn")
    spec = {
        "outdir": reports,
        "servers": [{"agent": "convene", "url": f"ws://127.0.0.1:{port}/api/v1/stream/echo"}],
        "cases": CASES,
        "exclude-cases": [],
        "exclude-agent-cases": {},
    }
    spec_path = os.path.join(DATA, "fuzzingclient.json")
    with open(spec_path, "w") as file:
        json.dump(spec, file)
    began = time.time()
    try:
        run = subprocess.run([command, "-m", "fuzzingclient", "-s", spec_path], cwd=DATA, capture_output=True, text=True, timeout=1500)
    finally:
        process.terminate()
        process.wait(timeout=15)
    if run.returncode != 0:
        print("FAIL: wstest exited with", run.returncode, run.stderr[-2000:], flush=True)
        return 1
    with open(os.path.join(reports, "index.json")) as file:
        results = json.load(file)["convene"]
    verdicts, failed = {}, []
    for case, result in results.items():
        for key in ("behavior", "behaviorClose"):
            verdicts[(key, result[key])] = verdicts.get((key, result[key]), 0) + 1
        if result["behavior"] == "FAILED" or result["behaviorClose"] == "FAILED":
            failed.append(case)
    for case in sorted(failed, key=lambda c: [int(p) for p in c.split(".")])[:40]:
        print(f"FAIL: case {case}: {results[case]['behavior']} / close {results[case]['behaviorClose']}", flush=True)
    summary = ", ".join(f"{key} {verdict}: {count}" for (key, verdict), count in sorted(verdicts.items()))
    print(f"autobahn: {len(results)} cases ({','.join(CASES)}) in {time.time() - began:.0f} s — {summary}; FAILED {len(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
