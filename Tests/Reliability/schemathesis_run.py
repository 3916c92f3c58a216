#!/usr/bin/env python3
"""Hostile input over HTTP: schemathesis against the served openapi.yaml, signed in as a member and
as an admin.

Usage: schemathesis_run.py BINARY DATA_DIR

Starts `BINARY serve` over DATA_DIR, registers a member and joins the `ohio` community (so the
member-only routes are reachable), and gives schemathesis something to find (a message, a
question with an answer). Then runs schemathesis on `/api/v1/openapi.yaml` with the member's
bearer token, a fixed seed and these checks: no 5xx, every status code documented for its
operation, the documented content type, the documented response headers, and every body
matching its schema. A second run does the same signed in as a network admin (made with
`convene user create --admin`), so the staff-only operations are tested past their 403 too.
Signing out ends the session it is called with, so those two runs leave `logout` out (it would
sign the rest of the run out) and a third run tests it alone, with a third user's token: every
operation of the document is tested.

Prints the figures (cases generated, operations tested, failures) and at most 40 lines of
findings; the full output of each run is kept in DATA_DIR (schemathesis-*.txt, and the JSON and
JUnit reports). Exits 1 on any finding, error, or a run longer than the time bound.
"""
import json
import os
import re
import subprocess
import sys
import time
from xml.etree import ElementTree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import call, start  # noqa: E402

SEED = 20260908
MAX_EXAMPLES = 20  # per operation, in the fuzzing phase (the examples and coverage phases add their own)
TIME_BOUND = 240  # seconds, the three runs together
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"
FAILURE_LINES = 40  # of findings printed, in all (the full output stays in DATA_DIR)
PASSWORD = "a long enough password"


def register(port, email):
    reply = call(port, "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "display_name": email.split("@")[0]})
    return reply["token"]


def create_admin(binary, data, email):
    """Makes a network admin with the CLI, before the server first starts (the seed still runs then)."""
    variables = {key: value for key, value in os.environ.items() if not key.startswith("CONVENE_")}
    variables["CONVENE_SECURITY_BCRYPT_COST"] = "4"
    made = subprocess.run([binary, "user", "create", "--data-dir", data, "--email", email, "--password", PASSWORD, "--name", "Fuzz Admin", "--admin"],
                          env=variables, capture_output=True, text=True, timeout=60)
    if made.returncode != 0:
        raise RuntimeError("convene user create failed: " + made.stderr[-2000:])


def schemathesis(port, token, name, selection, deadline, data):
    """Runs schemathesis over the operations `selection` picks; returns its JSON report, its exit
    status, the path of its full output and the folder of its reports."""
    reports = os.path.join(data, f"schemathesis-{name}")
    arguments = [
        sys.executable, "-m", "schemathesis.cli", "run", f"http://127.0.0.1:{port}/api/v1/openapi.yaml",
        "--header", f"Authorization: Bearer {token}",
        "--checks", CHECKS,
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--workers", "1",
        "--request-timeout", "20",
        "--no-color",
        "--report", "json,junit", "--report-dir", reports,
        "--report-json-path", os.path.join(reports, "report.json"),
        "--report-junit-path", os.path.join(reports, "junit.xml"),
        "--generation-database", "none",
    ] + selection
    log = os.path.join(data, f"schemathesis-{name}.txt")
    started = time.monotonic()
    with open(log, "w") as output:
        try:
            # In DATA_DIR, where its cache of past failures (.schemathesis/) starts empty: each run is the seed's alone.
            status = subprocess.run(arguments, stdout=output, stderr=subprocess.STDOUT, cwd=data, timeout=max(1, deadline - time.monotonic())).returncode
        except subprocess.TimeoutExpired:
            return None, None, log, time.monotonic() - started, reports
    try:
        with open(os.path.join(reports, "report.json")) as file:
            report = json.load(file)
    except (OSError, ValueError):
        report = None
    return report, status, log, time.monotonic() - started, reports


def findings(log):
    """The lines of the FAILURES section of schemathesis's output that name each finding: the
    operation, the check, the status received and what was documented."""
    lines, inside = [], False
    with open(log, errors="replace") as file:
        for line in file:
            text = line.strip()
            if re.fullmatch(r"=+ (\w+) =+", text):
                inside = "FAILURES" in text
            elif inside and (text.startswith("_____") or text.startswith("- ") or re.match(r"(\[\d{3}\] |Received:|Documented:)", text)):
                lines.append(text[:300])
    return lines


def operations_tested(reports):
    """The operations named in the JUnit report (`METHOD /path`)."""
    try:
        root = ElementTree.parse(os.path.join(reports, "junit.xml")).getroot()
    except (OSError, ElementTree.ParseError):
        return set()
    return {case.get("name") for case in root.iter("testcase") if re.match(r"[A-Z]+ /", case.get("name", ""))}


def main():
    binary, data = sys.argv[1], sys.argv[2]
    os.makedirs(data, exist_ok=True)
    create_admin(binary, data, "fuzz-admin@example.org")
    process, port = start(binary, data)
    failures = []
    try:
        token = register(port, "fuzz@example.org")
        call(port, "POST", "/api/v1/communities/ohio/join", token=token)
        channel = next(c["id"] for c in call(port, "GET", "/api/v1/communities/ohio/channels", token=token)["channels"] if c["name"] == "general")
        call(port, "POST", f"/api/v1/channels/{channel}/messages", {"body": "Hello **ohio**"}, token)
        tag = call(port, "GET", "/api/v1/communities/ohio", token=token)["tags"][0]["slug"]
        question = call(port, "POST", "/api/v1/communities/ohio/questions",
                        {"title": "How do you start advisory periods?", "body": "We begin in **September**.", "tags": [tag]}, token)
        call(port, "POST", f"/api/v1/questions/{question['id']}/answers", {"body": "With a circle."}, token)
        admin_token = call(port, "POST", "/api/v1/auth/login", {"email": "fuzz-admin@example.org", "password": PASSWORD})["token"]
        logout_token = register(port, "fuzz-logout@example.org")

        deadline = time.monotonic() + TIME_BOUND
        total_cases, covered, documented, lines_left = 0, set(), 0, FAILURE_LINES
        for name, token_used, selection in [
            ("member", token, ["--exclude-operation-id", "logout"]),
            ("admin", admin_token, ["--exclude-operation-id", "logout"]),
            ("logout", logout_token, ["--include-operation-id", "logout"]),
        ]:
            report, status, log, seconds, reports = schemathesis(port, token_used, name, selection, deadline, data)
            if status is None:
                failures.append(f"the {name} run did not finish within the bound of {TIME_BOUND} s (output: {log})")
                break
            if report is None:
                failures.append(f"the {name} run wrote no report (exit {status}; output: {log})")
                continue
            cases = report["test_cases"]["generated"]
            operations = report["operations"] or {}
            total_cases += cases
            covered |= operations_tested(reports)
            documented = operations.get("total", 0)
            print(f"{name}: {cases} cases generated, {operations.get('tested', 0)} of {operations.get('selected', 0)} operations tested, "
                  f"{report['test_cases']['with_failures']} with failures, {report['test_cases']['errored']} errored, exit {status}, {seconds:.0f} s",
                  flush=True)
            for group in report["failures"]:
                failures.append(f"{group['title']} ({group['code']}, {group['count']}×): {', '.join(group['operations'][:6])}"
                                + (f" and {len(group['operations']) - 6} more" if len(group['operations']) > 6 else ""))
            for error in report["errors"]:
                failures.append(f"error: {error['title']} ({error['count']}×)")
            if operations.get("errored") or operations.get("tested", 0) < operations.get("selected", 0):
                failures.append(f"the {name} run tested {operations.get('tested', 0)} of {operations.get('selected', 0)} operations ({operations.get('errored', 0)} errored)")
            if status != 0 and not report["failures"] and not report["errors"]:
                failures.append(f"the {name} run exited {status} (output: {log})")
            if report["failures"]:
                detail = findings(log)
                print(f"findings of the {name} run (full output: {log}):")
                print("\n".join(detail[:lines_left]) + (f"\n… {len(detail) - lines_left} more lines" if len(detail) > lines_left else ""), flush=True)
                lines_left = max(0, lines_left - len(detail))
        if process.poll() is not None:
            failures.append(f"the server exited with {process.returncode} during the run")
        else:
            try:
                call(port, "GET", "/healthz")
            except Exception as error:  # noqa: BLE001  (any failure to answer is the finding)
                failures.append(f"the server no longer answers /healthz: {error}")
        print(f"schemathesis (seed {SEED}, {MAX_EXAMPLES} fuzzed examples per operation): {total_cases} cases generated, "
              f"{len(covered)} of the document's {documented} operations tested, {len(failures)} failures", flush=True)
        if total_cases < 2000:
            failures.append(f"only {total_cases} cases were generated; at least 2000 are wanted")
        if len(covered) < documented:
            failures.append(f"{documented - len(covered)} operations of the document were not tested")
    finally:
        process.terminate()
        process.wait(timeout=30)
    for failure in failures:
        print("FAIL:", failure, flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
