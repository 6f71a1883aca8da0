#!/usr/bin/env python3
"""API fuzzing with Schemathesis against the served OpenAPI document and a running server.

Starts `booking-engine serve` (fresh data directory, rate limits off), registers a facilitator and a
user and publishes a session (so generated ids can hit real objects), then runs Schemathesis over
every operation with a bounded number of examples per operation. Passes when no response is a 5xx,
every response matches the document (status code, content type, body schema), and `/health` still
answers 200 afterwards. Logout is fuzzed last, on its own token, because it revokes the token the
other operations use.

Usage: fuzz_api.py --binary PATH [--max-examples N] [--schemathesis PATH]
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from engine_client import call, free_port

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def token(base, email, role):
    status, body = call(base, "POST", "/api/auth/register",
                        {"email": email, "password": "fuzzing passphrase 42", "name": "Fuzz", "role": role})
    if status != 201:
        sys.exit(f"register {email}: {status} {body}")
    return body["access_token"]


def schemathesis(executable, base, bearer, max_examples, extra):
    command = [executable, "run", f"{base}/openapi.json", "--url", base, "-H", f"Authorization: Bearer {bearer}",
               "--checks", CHECKS, "--max-examples", str(max_examples), "--phases", "examples,coverage,fuzzing",
               # One worker: Python 3.11.7's ast module is not thread-safe (CPython gh-106905), and Hypothesis
               # parses source while generating.
               "--workers", "1", "--no-color", "--seed", "1", *extra]
    result = subprocess.run(command, capture_output=True, text=True)
    output = result.stdout + result.stderr
    generated = re.search(r"(\d+) generated", output)
    return result.returncode, int(generated.group(1)) if generated else 0, output


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--schemathesis", default=shutil.which("schemathesis") or "schemathesis")
    arguments = parser.parse_args()

    work = tempfile.mkdtemp(prefix="fuzz-api-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, RATE_LIMIT_ENABLED="false", BOOKING_ENV="development")
    log = open(os.path.join(work, "serve.log"), "w")
    server = subprocess.Popen([arguments.binary, "serve", "--port", str(port), "--data-dir", os.path.join(work, "data")],
                              env=env, stdout=log, stderr=log)
    failed = 0
    try:
        for _ in range(600):
            try:
                if call(base, "GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        facilitator = token(base, "host@fuzz.example", "facilitator")
        user = token(base, "guest@fuzz.example", "user")
        call(base, "POST", "/api/sessions", {"title": "Fuzzed", "start_time": "2031-01-01T09:00:00Z",
                                             "end_time": "2031-01-01T10:00:00Z", "capacity": 50}, facilitator)
        runs = [
            ("as a facilitator", facilitator, ["--exclude-path", "/api/auth/logout"]),
            ("as a user", user, ["--exclude-path", "/api/auth/logout"]),
            ("logout", token(base, "leaver@fuzz.example", "user"), ["--include-path", "/api/auth/logout"]),
        ]
        for label, bearer, extra in runs:
            code, generated, output = schemathesis(arguments.schemathesis, base, bearer, arguments.max_examples, extra)
            status = "passed" if code == 0 else "failed"
            print(f"schemathesis {label}: {generated} generated test cases, {status}")
            if code != 0:
                failed += 1
                print(output[-6000:])
        health = call(base, "GET", "/health")
        healthy = health[0] == 200 and health[1].get("status") == "ok"
        print(f"server healthy afterwards: {'yes' if healthy else 'NO'} ({health[0]})")
        if not healthy:
            failed += 1
        if server.poll() is not None:
            print(f"server exited with {server.returncode}")
            failed += 1
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        with open(os.path.join(work, "serve.log")) as f:
            crashes = [line for line in f if "Fatal error" in line or "Internal error" in line]
        if crashes:
            print("server log shows internal errors:\n" + "".join(crashes[:20]))
            failed += 1
        shutil.rmtree(work, ignore_errors=True)
    print("fuzzing " + ("passed" if failed == 0 else f"FAILED ({failed} problems)"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
