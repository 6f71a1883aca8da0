#!/usr/bin/env python3
"""HTTP benchmark of the REST façade against a plain Hummingbird route, measured in the same run.

Started by tools/bench-http (which installs wrk and builds the release binary). Starts
`booking-engine baseline-http` and `booking-engine serve` (fresh data directory, rate limits off),
seeds 1,000 sessions and a few hundred users over the API, then runs wrk:

  1. GET  /plain (baseline)             vs  GET  /api/sessions?limit=100  (a page of 100 of 1,000)
  2. POST /plain (baseline, reads body) vs  POST /api/bookings            (durable: fsync before 2xx)
  3. login storm: GET /api/sessions at a paced rate, alone and then beside a flood of password
     logins (Argon2id), comparing the p99 of the paced requests.

Prints a Markdown table for BENCHMARKS.md. Every wrk run must see only 2xx answers; the script fails
otherwise, so a fast run of errors can't pass for a result.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from engine_client import call, free_port, metrics, wait_ready

SESSIONS = 1000
PASSWORD = "bench passphrase 1234"


def register(base, email, role="user"):
    status, body = call(base, "POST", "/api/auth/register",
                        {"email": email, "password": PASSWORD, "name": email.split("@")[0], "role": role})
    if status != 201:
        sys.exit(f"register {email}: {status} {body}")
    return body["access_token"]


def seed(base, users):
    facilitator = register(base, "facilitator@bench.example", "facilitator")
    def create(i):
        status, body = call(base, "POST", "/api/sessions", {
            "title": f"Session {i}", "description": "A benchmark session with a realistic description length.",
            "session_type": "session" if i % 2 else "retreat",
            "start_time": "2031-01-01T09:00:00Z", "end_time": "2031-01-01T17:00:00Z",
            "capacity": 100000, "price": 25.5, "location": "Room 1"}, facilitator)
        if status != 201:
            sys.exit(f"create session: {status} {body}")
        return body["session_id"] if "session_id" in body else body["id"]
    with ThreadPoolExecutor(8) as pool:
        session_ids = sorted(pool.map(create, range(SESSIONS)))
    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(lambda i: register(base, f"user{i}@bench.example"), range(users)))
    return facilitator, session_ids, tokens


def lua_table(values):
    return "{" + ",".join(json.dumps(v) for v in values) + "}"


def write(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text)
    return path


DONE_LUA = """
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(90), latency:percentile(99), summary.duration))
end
"""


def bookings_lua(tokens, session_ids, threads):
    # Thread t uses its own slice of users; request n books session n mod 1000 for user n div 1000,
    # so no (user, session) pair repeats and every request is a real booking (no 409s).
    per = len(tokens) // threads
    return f"""
local tokens = {lua_table(tokens)}
local sessions = {lua_table(session_ids)}
local per = {per}
local next_id = 0
function setup(thread) thread:set("tid", next_id); next_id = next_id + 1 end
local n = 0
function request()
  local user = tid * per + (math.floor(n / #sessions) % per) + 1
  local session = sessions[(n % #sessions) + 1]
  n = n + 1
  return wrk.format("POST", "/api/bookings",
    {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[user]}},
    '{{"session_id":' .. session .. '}}')
end
""" + DONE_LUA


def get_lua(path, token, delay_ms=None):
    pacing = f"function delay() return {delay_ms} end\n" if delay_ms else ""
    return f"""
wrk.method = "GET"
wrk.path = "{path}"
wrk.headers["Authorization"] = "Bearer {token}"
{pacing}""" + DONE_LUA


def plain_post_lua():
    return """
wrk.method = "POST"
wrk.path = "/plain"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"session_id":123}'
""" + DONE_LUA


def login_lua(emails):
    return f"""
local emails = {lua_table(emails)}
local n = 0
function request()
  n = n + 1
  return wrk.format("POST", "/api/auth/login", {{["Content-Type"] = "application/json"}},
    '{{"email":"' .. emails[(n % #emails) + 1] .. '","password":"{PASSWORD}"}}')
end
""" + DONE_LUA


def wrk(url, script, threads, connections, seconds, background=False):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script, url]
    if background:
        return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    return parse(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def parse(output):
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", output)
    if not match:
        sys.exit("wrk printed no result:\n" + output)
    requests, socket_errors, status_errors, p50, p90, p99, duration_us = map(int, match.groups())
    return {"requests": requests, "errors": socket_errors + status_errors, "rps": requests / (duration_us / 1e6),
            "p50_ms": p50 / 1000, "p90_ms": p90 / 1000, "p99_ms": p99 / 1000}


def checked(label, result):
    if result["errors"]:
        sys.exit(f"{label}: {result['errors']} failed requests of {result['requests']}; not a valid measurement")
    print(f"  {label}: {result['rps']:,.0f} req/s, p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms",
          file=sys.stderr)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--users", type=int, default=300)
    arguments = parser.parse_args()

    work = tempfile.mkdtemp(prefix="bench-http-")
    processes = []
    try:
        baseline_port, engine_port = free_port(), free_port()
        env = dict(os.environ, RATE_LIMIT_ENABLED="false", BOOKING_ENV="development")
        processes.append(subprocess.Popen([arguments.binary, "baseline-http", "--port", str(baseline_port)], env=env))
        processes.append(subprocess.Popen(
            [arguments.binary, "serve", "--port", str(engine_port), "--data-dir", os.path.join(work, "data")],
            env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "serve.log"), "w")))
        baseline = f"http://127.0.0.1:{baseline_port}"
        engine = f"http://127.0.0.1:{engine_port}"
        wait_ready(baseline + "/plain")
        wait_ready(engine + "/health")

        print(f"seeding {SESSIONS} sessions and {arguments.users} users ...", file=sys.stderr)
        facilitator, session_ids, tokens = seed(engine, arguments.users)
        status, page = call(engine, "GET", "/api/sessions?limit=100", token=tokens[0])
        assert status == 200 and len(page) == 100, (status, len(page))
        scripts = {
            "plain_get": write(work, "plain_get.lua", "wrk.method = 'GET'\n" + DONE_LUA),
            "plain_post": write(work, "plain_post.lua", plain_post_lua()),
            "sessions": write(work, "sessions.lua", get_lua("/api/sessions?limit=100", tokens[0])),
            "bookings": write(work, "bookings.lua", bookings_lua(tokens, session_ids, arguments.threads)),
            "paced": write(work, "paced.lua", get_lua("/api/sessions?limit=100", tokens[1], delay_ms=10)),
            "logins": write(work, "logins.lua", login_lua([f"user{i}@bench.example" for i in range(arguments.users)])),
        }
        t, c, s = arguments.threads, arguments.connections, arguments.seconds
        print("measuring ...", file=sys.stderr)
        results = {}
        # Warm both servers up (connection set-up, first allocations), then alternate baseline/engine.
        wrk(baseline + "/plain", scripts["plain_get"], t, c, 2)
        wrk(engine, scripts["sessions"], t, c, 2)
        results["plain_get"] = checked("GET /plain", wrk(baseline + "/plain", scripts["plain_get"], t, c, s))
        results["plain_page"] = checked("GET /plain/page", wrk(baseline + "/plain/page", scripts["plain_get"], t, c, s))
        results["sessions"] = checked("GET /api/sessions?limit=100", wrk(engine, scripts["sessions"], t, c, s))
        results["plain_post"] = checked("POST /plain", wrk(baseline + "/plain", scripts["plain_post"], t, c, s))
        before = writer_metrics(engine)
        results["bookings"] = checked("POST /api/bookings", wrk(engine, scripts["bookings"], t, c, s))
        after = writer_metrics(engine)
        results["writer"] = {name: after.get(name, 0) - before.get(name, 0) for name in after}

        # Login storm: the paced reader alone, then beside a flood of logins.
        results["paced_alone"] = checked("paced GET /api/sessions alone", wrk(engine, scripts["paced"], 1, 8, s))
        storm = wrk(engine, scripts["logins"], 1, 32, s + 4, background=True)
        time.sleep(2)  # let the storm fill the hashing queue before measuring beside it
        results["paced_storm"] = checked("paced GET /api/sessions during login storm", wrk(engine, scripts["paced"], 1, 8, s))
        results["logins"] = checked("POST /api/auth/login (storm)", parse(storm.communicate()[0]))

        status, health = call(engine, "GET", "/health")
        report(results, arguments, health)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


def writer_metrics(base):
    """The group-commit writer's counters from /metrics."""
    return metrics(base, prefix="booking_writer_")


def report(r, arguments, health):
    def row(label, x):
        return f"| {label} | {x['rps']:,.0f} | {x['p50_ms']:.2f} | {x['p99_ms']:.2f} | {x['requests']:,} |"
    ratio_get = r["sessions"]["rps"] / r["plain_get"]["rps"]
    ratio_post = r["bookings"]["rps"] / r["plain_post"]["rps"]
    storm_factor = r["paced_storm"]["p99_ms"] / r["paced_alone"]["p99_ms"]
    print(f"wrk -t{arguments.threads} -c{arguments.connections} -d{arguments.seconds}s, rate limits off, "
          f"{SESSIONS} sessions, {arguments.users} users; log position at the end: {health['store']['last_position']:,}\n")
    print("| run | req/s | p50 ms | p99 ms | requests |")
    print("|---|---:|---:|---:|---:|")
    print(row("baseline `GET /plain` (plain Hummingbird)", r["plain_get"]))
    print(row("baseline `GET /plain/page` (a static 40 KB array)", r["plain_page"]))
    print(row("`GET /api/sessions?limit=100` (100 of 1,000)", r["sessions"]))
    print(row("baseline `POST /plain` (reads the body)", r["plain_post"]))
    print(row("`POST /api/bookings` (durable)", r["bookings"]))
    print(row("paced `GET /api/sessions` alone (-t1 -c8, 10 ms pause)", r["paced_alone"]))
    print(row("same, during a login storm", r["paced_storm"]))
    print(row("`POST /api/auth/login` storm (-t1 -c32, Argon2id)", r["logins"]))
    print()
    print(f"- sessions page: {ratio_get:.0%} of the baseline's req/s (target ≥ 50%): {'met' if ratio_get >= 0.5 else 'NOT met'}")
    print(f"- durable bookings: {ratio_post:.0%} of the baseline's req/s (target ≥ 50%): {'met' if ratio_post >= 0.5 else 'NOT met'}")
    w = r["writer"]
    if w.get("booking_writer_commits"):
        commits = w["booking_writer_commits"]
        print(f"- writer during the bookings run: {commits:,.0f} commits, {w['booking_writer_commands'] / commits:.1f} bookings "
              f"per commit, {w['booking_writer_commit_seconds'] / commits * 1000:.2f} ms per commit (fsync included)")
    print(f"- sessions page against a static page of the same size: {r['sessions']['rps'] / r['plain_page']['rps']:.0%}")
    print(f"- login storm: p99 of other requests ×{storm_factor:.2f} (target ≤ 2×): {'met' if storm_factor <= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
