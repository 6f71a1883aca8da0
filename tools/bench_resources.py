#!/usr/bin/env python3
"""Resource bounds over a long run: RSS and data-directory growth per 100,000 bookings.

Starts the given `booking-engine serve` with a fresh data directory (rate limits off, e-mail to the
default outbox, no CRM), seeds sessions and users, then books with wrk in rounds until --bookings
durable bookings exist, each with its own Idempotency-Key. Beside the load, --idle-sockets facilitator
WebSockets connect and never read, so the notifier's per-socket bound is exercised too. After every
round it samples the server: RSS and peak RSS (/proc), open descriptors, the LMDB files (allocated
bytes), the outbox, and the gauges from /metrics (idempotency keys, notifier sockets, rate-limiter
clients). Prints a Markdown table for RELIABILITY.md and the growth per 100,000 bookings.
"""
import argparse
import collections
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

from bench_http import DONE_LUA, lua_table, seed, write
from engine_client import free_port, metrics as gauges, wait_ready


def bookings_lua(tokens, session_ids, threads, offsets, round_number):
    # Thread t books (user, session) pairs from its own slice of users, continuing where it stopped
    # in the previous round, so no pair repeats and every request is a real, keyed booking.
    per = len(tokens) // threads
    return f"""
local tokens = {lua_table(tokens)}
local sessions = {lua_table(session_ids)}
local offsets = {lua_table(offsets)}
local per = {per}
local threads = {{}}
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
n = 0
function request()
  local k = offsets[tid + 1] + n
  local user = tid * per + (math.floor(k / #sessions) % per) + 1
  local session = sessions[(k % #sessions) + 1]
  n = n + 1
  return wrk.format("POST", "/api/bookings",
    {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[user],
      ["Idempotency-Key"] = "r{round_number}-" .. tid .. "-" .. k}},
    '{{"session_id":' .. session .. '}}')
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do io.write(string.format("THREAD %d %d\\n", thread:get("tid"), thread:get("n"))) end
  io.write(string.format("STATUS_ERRORS %d\\n", summary.errors.status))
end
"""


def steady_lua(tokens, session_ids):
    # Requests that write nothing: a sessions page, a booking the log already holds (409), a user's
    # own bookings. Heap that grows under these would be a leak, not data.
    return f"""
local tokens = {lua_table(tokens[:50])}
local session = {session_ids[0]}
local n = 0
function request()
  n = n + 1
  local token = tokens[(n % #tokens) + 1]
  local kind = n % 3
  if kind == 0 then
    return wrk.format("GET", "/api/sessions?limit=100", {{["Authorization"] = "Bearer " .. token}})
  elseif kind == 1 then
    return wrk.format("POST", "/api/bookings", {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}},
      '{{"session_id":' .. session .. '}}')
  end
  return wrk.format("GET", "/api/bookings/my?limit=100", {{["Authorization"] = "Bearer " .. token}})
end
""" + DONE_LUA


def idle_socket(port, token):
    """A facilitator WebSocket that completes the upgrade and then never reads."""
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall((f"GET /api/notifications/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               f"Authorization: Bearer {token}\r\n\r\n").encode())
    # Take exactly the response head, so what follows (frames) can be read and parsed later.
    peeked = s.recv(4096, socket.MSG_PEEK)
    while b"\r\n\r\n" not in peeked:
        peeked = s.recv(len(peeked) + 4096, socket.MSG_PEEK)
    head = s.recv(peeked.index(b"\r\n\r\n") + 4).decode(errors="replace")
    if not head.startswith("HTTP/1.1 101"):
        sys.exit(f"idle socket upgrade refused: {head[:200]}")
    return s


def close_code(s):
    """Reads what the server sent on a never-read socket to the end and says how it ended: the close
    code, "torn down" (closed without a close frame: none fits into full buffers), or "still open"."""
    s.settimeout(10)
    data = bytearray()
    ending = "torn down"
    try:
        while chunk := s.recv(1 << 20):
            data += chunk
    except socket.timeout:
        ending = "still open"
    except ConnectionError:
        pass
    code, i = ending, 0
    while i + 2 <= len(data):
        opcode, length = data[i] & 0x0F, data[i + 1] & 0x7F
        i += 2
        if length == 126:
            length, i = int.from_bytes(data[i:i + 2], "big"), i + 2
        elif length == 127:
            length, i = int.from_bytes(data[i:i + 8], "big"), i + 8
        if opcode == 0x8 and length >= 2 and i + 2 <= len(data):
            code = int.from_bytes(data[i:i + 2], "big")
        i += length
    return code


def allocated(path):
    """Bytes a file or a directory tree occupies on disk (not its apparent size)."""
    if os.path.isfile(path):
        return os.stat(path).st_blocks * 512
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total


def proc_status(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                values[key] = int(rest.split()[0]) * 1024
    values["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--bookings", type=int, default=300_000)
    parser.add_argument("--round-seconds", type=int, default=20)
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--idle-sockets", type=int, default=20)
    parser.add_argument("--steady-rounds", type=int, default=4)
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()

    work = tempfile.mkdtemp(prefix="bench-resources-")
    data = os.path.join(work, "data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, RATE_LIMIT_ENABLED="false", BOOKING_ENV="development")
    log = open(os.path.join(work, "serve.log"), "a")
    start = lambda: subprocess.Popen([arguments.binary, "serve", "--port", str(port), "--data-dir", data],
                                     env=env, stdout=subprocess.DEVNULL, stderr=log)
    server = start()
    sockets = []
    try:
        wait_ready(base + "/health")
        print(f"seeding 1000 sessions and {arguments.users} users ...", file=sys.stderr)
        facilitator, session_ids, tokens = seed(base, arguments.users)
        if len(tokens) * len(session_ids) < arguments.bookings:
            sys.exit("too few users for that many distinct bookings")
        sockets = [idle_socket(port, facilitator) for _ in range(arguments.idle_sockets)]

        def sample(bookings):
            g = gauges(base)
            row = {"bookings": bookings, **proc_status(server.pid),
                   "events": int(g.get("booking_log_head_position", 0)),
                   "store": allocated(os.path.join(data, "data.mdb")),
                   "deliveries": allocated(os.path.join(data, "deliveries")),
                   "outbox": allocated(os.path.join(data, "outbox")) if os.path.isdir(os.path.join(data, "outbox")) else 0,
                   "idempotency_keys": int(g.get("booking_idempotency_keys", -1)),
                   "sockets": int(g.get("booking_notifier_sockets", -1)),
                   "limiter_clients": int(g.get("booking_rate_limiter_clients", -1))}
            print("  " + ", ".join(f"{k} {v:,}" for k, v in row.items()), file=sys.stderr)
            return row

        seeded = int(gauges(base)["booking_log_head_position"])
        samples = [sample(0)]
        offsets = [0] * arguments.threads
        booked = 0
        round_number = 0
        while booked < arguments.bookings:
            round_number += 1
            script = write(work, f"round{round_number}.lua",
                           bookings_lua(tokens, session_ids, arguments.threads, offsets, round_number))
            output = subprocess.run(["wrk", f"-t{arguments.threads}", f"-c{arguments.connections}",
                                     f"-d{arguments.round_seconds}s", "--timeout", "10s", "-s", script, base],
                                    capture_output=True, text=True, check=True).stdout
            for tid, n in re.findall(r"THREAD (\d+) (\d+)", output):
                offsets[int(tid)] += int(n)
            errors = int(re.search(r"STATUS_ERRORS (\d+)", output).group(1))
            if errors:
                sys.exit(f"round {round_number}: {errors} non-2xx answers; not a valid run")
            # Durable bookings: one booking.confirmed event each, counted from the log head (wrk's own
            # count includes requests still in flight when a round ends).
            booked = int(gauges(base)["booking_log_head_position"]) - seeded
            samples.append(sample(booked))

        # From the first round's sample (past seeding and start-up), unless there was only one round.
        first, last = samples[1] if len(samples) > 2 else samples[0], samples[-1]
        codes = collections.Counter(close_code(s) for s in sockets)
        # Then rounds that add no data: the heap should level off.
        steady_script = write(work, "steady.lua", steady_lua(tokens, session_ids))
        steady = []
        for _ in range(arguments.steady_rounds):
            output = subprocess.run(["wrk", f"-t{arguments.threads}", f"-c{arguments.connections}",
                                     f"-d{arguments.round_seconds}s", "--timeout", "10s", "-s", steady_script, base],
                                    capture_output=True, text=True, check=True).stdout
            requests = int(re.search(r"RESULT (\d+)", output).group(1))
            steady.append((requests, proc_status(server.pid)["RssAnon"], int(gauges(base)["booking_log_head_position"])))
            print(f"  steady round: {requests:,} requests, heap {steady[-1][1]:,}, log head {steady[-1][2]:,}", file=sys.stderr)
        # Memory that is data (the in-memory projections) comes back when the same log is folded
        # again from zero; memory that leaked would not.
        for s in sockets:
            s.close()
        sockets = []
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
        server = start()
        wait_ready(base + "/health", deadline=600)
        restarted = proc_status(server.pid)
        scale = 100_000 / (last["bookings"] - first["bookings"])
        print()
        print("| bookings | events | RSS | of it heap (RssAnon) | of it mapped files (RssFile: LMDB, binary) | fds | data.mdb | deliveries | outbox | idempotency keys | notifier sockets |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        mb = lambda b: f"{b / 1e6:,.1f} MB"
        for r in samples:
            print(f"| {r['bookings']:,} | {r['events']:,} | {mb(r['VmRSS'])} | {mb(r['RssAnon'])} | {mb(r['RssFile'])} | {r['fds']} | {mb(r['store'])} | "
                  f"{mb(r['deliveries'])} | {mb(r['outbox'])} | {r['idempotency_keys']:,} | {r['sockets']} |")
        print()
        print(f"growth per 100,000 bookings (from the first round's sample to the last): "
              f"RSS {mb((last['VmRSS'] - first['VmRSS']) * scale)} (heap {mb((last['RssAnon'] - first['RssAnon']) * scale)}), data.mdb {mb((last['store'] - first['store']) * scale)}, "
              f"deliveries {mb((last['deliveries'] - first['deliveries']) * scale)}, outbox {mb((last['outbox'] - first['outbox']) * scale)}")
        print(f"after a restart on the same data (projections folded from the log): RSS {mb(restarted['VmRSS'])}, "
              f"heap {mb(restarted['RssAnon'])} (before the restart: RSS {mb(last['VmRSS'])}, heap {mb(last['RssAnon'])})")
        total = sum(r for r, _, _ in steady)
        print(f"{len(steady)} rounds that write nothing ({total:,} requests: sessions page, a refused booking, own bookings): "
              f"heap {' → '.join(mb(h) for _, h, _ in steady)}; log head unchanged: {len({p for _, _, p in steady}) == 1}")
        print(f"idle (never reading) sockets: {arguments.idle_sockets} opened, notifier holds {last['sockets']} at the end; "
              f"close codes the server sent: {dict(codes)}")
        print(f"rate-limiter clients remembered: {last['limiter_clients']} (limits off in this run; bounded by capacity, see RateLimiterTests)")
    finally:
        for s in sockets:
            s.close()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        if arguments.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
