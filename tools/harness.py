#!/usr/bin/env python3
"""End-to-end scenario harness: the whole engine under a mixed workload, crashes and peer outages.

Starts `booking-engine serve` (fresh data directory, rate limits off) with a local CRM receiver (an
http.server in a thread that checks the bearer token and records every webhook-id and body) and a
local SMTP server (tools/smtp-test-server.py, STARTTLS with the test CA). Then drives, over HTTP from
threads, facilitators and users registering, logging in and out, sessions created, edited and
cancelled, bookings racing for the last seats of small sessions and cancellations, while every
facilitator holds a WebSocket on /api/notifications/ws (reconnecting now and then) collecting its
notifications. Every 2xx is written to a client-side ledger; a request that got no answer is
"unknown" (it may or may not have happened).

At the end, once /health shows no side-effect backlog, it prints one line per check (PASS name /
FAIL name: why) and `N passed, M failed`, and exits 1 on any failure. See RELIABILITY.md.

--crash-rounds N  SIGKILL the server at random moments during the workload and restart it (same
                  data directory), N times.
--outage          stop the CRM receiver and the SMTP server for a while mid-run, then restart them.

Usage: harness.py --binary PATH [--seconds S] [--users U] [--facilitators F] [--crash-rounds N]
                  [--outage] [--seed N] [--keep]
"""
import argparse
import collections
import glob
import http.client
import http.server
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from engine_client import free_port

try:
    from websockets.sync.client import connect as ws_connect
except ImportError:  # tools/install-test-deps.sh installs it
    ws_connect = None

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CRM_TOKEN = "harness-crm-bearer-token-0123456789abcdef"
DEADLINE = 120  # seconds to wait for any condition before failing with a message


def wait_for(condition, what, deadline=DEADLINE, every=0.01):
    """Polls `condition` until it is truthy; raises with `what` when the deadline passes."""
    end = time.time() + deadline
    while time.time() < end:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise RuntimeError(f"timed out after {deadline} s waiting for {what}")


class NoAnswer(Exception):
    """The request got no HTTP answer: the operation may or may not have happened, unless `refused`
    (the connection was refused, so the server never saw the request)."""

    def __init__(self, message, refused=False):
        super().__init__(message)
        self.refused = refused


def call(base, method, path, body=None, token=None, headers=None, timeout=30):
    """One JSON request: (status, body); raises NoAnswer when no response came back."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw or b"null")
        except ValueError:
            return e.code, {"raw": raw[:200].decode(errors="replace")}
    except urllib.error.URLError as e:
        raise NoAnswer(str(e), refused=isinstance(e.reason, ConnectionRefusedError)) from e
    except (OSError, http.client.HTTPException) as e:
        raise NoAnswer(str(e), refused=isinstance(e, ConnectionRefusedError)) from e


# ---------------------------------------------------------------- peers

class CRMReceiver:
    """The CRM: records webhook-id → bodies, answers 204; 401 without the right bearer token."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.received = collections.defaultdict(list)
        self.unauthorised = 0
        self.server = None

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.headers.get("Authorization") != f"Bearer {CRM_TOKEN}" or self.path != "/api/booking-notification":
                    with receiver.lock:
                        receiver.unauthorised += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.received[(self.headers.get("webhook-id") or "").lower()].append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class SMTPServer:
    """tools/smtp-test-server.py on a fixed port; each incarnation records into its own folder."""

    def __init__(self, work, port):
        self.work, self.port, self.incarnation, self.process = work, port, 0, None

    def start(self):
        directory = os.path.join(self.work, f"smtp-{self.incarnation}")
        self.incarnation += 1
        os.makedirs(directory)
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, "smtp-test-server.py"), "serve",
                                         "--directory", directory, "--tls", "starttls", "--port", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"the SMTP server exited with {self.process.returncode} (is aiosmtpd installed?)")
            return os.path.exists(os.path.join(directory, "ready.json"))
        wait_for(ready, "the SMTP server to listen")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def message_ids(self):
        ids = collections.Counter()
        for path in glob.glob(os.path.join(self.work, "smtp-*", "message-*.json")):
            with open(path) as f:
                ids[(json.load(f)["parsed"]["message_id"] or "").lower()] += 1
        return ids


class Engine:
    """`booking-engine serve` on a fixed port and data directory; restartable."""

    def __init__(self, binary, work, port, env):
        self.binary, self.work, self.port, self.env = binary, work, port, env
        self.base = f"http://127.0.0.1:{port}"
        self.process = None
        self.starts = 0
        self.log = open(os.path.join(work, "serve.log"), "ab")

    def start(self):
        self.starts += 1
        self.process = subprocess.Popen([self.binary, "serve", "--port", str(self.port), "--data-dir", self.data],
                                        env=self.env, stdout=self.log, stderr=self.log)

        def ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}; see {self.work}/serve.log")
            try:
                return call(self.base, "GET", "/health", timeout=2)[0] == 200
            except NoAnswer:
                return False
        wait_for(ready, "serve to answer /health")

    @property
    def data(self):
        return os.path.join(self.work, "data")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ---------------------------------------------------------------- the ledger

class Ledger:
    """What the clients were told. 'unknown' means the request got no answer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.bookings = {}                          # booking id → {user, session}
        self.cancel_acked = set()                   # booking ids whose cancel got a 2xx
        self.cancel_unknown = set()
        self.booking_unknown = collections.Counter()  # (user email, session id) → attempts with no answer
        self.sessions = {}                          # session id → facilitator email
        self.session_cancel_acked = set()
        self.session_cancel_unknown = set()
        self.ops = collections.Counter()            # "kind status" → count
        self.server_errors = []

    def count(self, kind, status):
        with self.lock:
            self.ops[f"{kind} {status}"] += 1
            if isinstance(status, int) and status >= 500:
                self.server_errors.append(kind)

    def open_sessions(self):
        with self.lock:
            return [s for s in self.sessions if s not in self.session_cancel_acked]


# ---------------------------------------------------------------- actors

class Actor:
    """One account: registers (or logs in when a lost answer may have registered it), keeps a token."""

    def __init__(self, harness, email, role):
        self.h, self.email, self.role = harness, email, role
        self.password = "harness passphrase " + email
        self.token = None
        self.user_id = None

    def request(self, kind, method, path, body=None, headers=None):
        """A call with this actor's token, logging in first when needed; NoAnswer propagates."""
        if self.token is None:
            self.authenticate()
        status, answer = call(self.h.engine.base, method, path, body, self.token, headers)
        if status == 401:
            self.token = None
        self.h.ledger.count(kind, status)
        return status, answer

    def authenticate(self):
        base = self.h.engine.base
        if self.user_id is None:
            status, answer = call(base, "POST", "/api/auth/register",
                                  {"email": self.email, "password": self.password, "name": self.email.split("@")[0], "role": self.role})
            self.h.ledger.count("register", status)
            if status == 201:
                self.token, self.user_id = answer["access_token"], answer["user"]["id"]
                return
        status, answer = call(base, "POST", "/api/auth/login", {"email": self.email, "password": self.password})
        self.h.ledger.count("login", status)
        if status != 200:
            raise NoAnswer(f"login {status}")  # e.g. registration lost in a crash: register again next time
        self.token, self.user_id = answer["access_token"], answer["user"]["id"]

    def logout(self):
        status, _ = self.request("logout", "POST", "/api/auth/logout")
        self.token = None


def user_step(h, actor, rng):
    ledger = h.ledger
    choice = rng.random()
    if choice < 0.6:
        open_sessions = ledger.open_sessions()
        if not open_sessions:
            return
        session = rng.choice(open_sessions[-6:])  # the newest few: small and contested
        try:
            status, answer = actor.request("book", "POST", "/api/bookings", {"session_id": session})
        except NoAnswer as e:
            if not e.refused:
                with ledger.lock:
                    ledger.booking_unknown[(actor.email, session)] += 1
            raise
        if status == 201:
            with ledger.lock:
                ledger.bookings[answer["booking_id"]] = {"user": actor.email, "session": session}
    elif choice < 0.85:
        with ledger.lock:
            mine = [b for b, v in ledger.bookings.items() if v["user"] == actor.email and b not in ledger.cancel_acked]
        if not mine:
            return
        booking = rng.choice(mine)
        try:
            status, _ = actor.request("cancel-booking", "POST", f"/api/bookings/{booking}/cancel")
        except NoAnswer as e:
            if not e.refused:
                with ledger.lock:
                    ledger.cancel_unknown.add(booking)
            raise
        if status == 200:
            with ledger.lock:
                ledger.cancel_acked.add(booking)
    elif choice < 0.9:
        actor.logout()
    else:
        actor.request("list-sessions", "GET", "/api/sessions?limit=50")


def facilitator_step(h, actor, rng):
    ledger = h.ledger
    choice = rng.random()
    with ledger.lock:
        mine = [s for s, f in ledger.sessions.items() if f == actor.email and s not in ledger.session_cancel_acked]
    if choice < 0.35 or not mine:
        day = rng.randint(1, 900)
        status, answer = actor.request("create-session", "POST", "/api/sessions", {
            "title": f"Session {rng.randint(1, 10**6)}", "start_time": f"2031-01-01T09:00:00Z",
            "end_time": "2031-01-01T11:00:00Z", "capacity": rng.randint(1, 3), "price": day % 50,
            "location": "Room " + str(day % 7)})
        if status == 201:
            with ledger.lock:
                ledger.sessions[answer["session_id"]] = actor.email
    elif choice < 0.6:
        session = rng.choice(mine)
        change = rng.choice([{"title": f"Renamed {rng.randint(1, 10**6)}"}, {"capacity": rng.randint(1, 4)},
                             {"description": "Updated by the harness"}])
        actor.request("update-session", "PUT", f"/api/sessions/{session}", change)
    elif choice < 0.68 and len(mine) > 3:
        session = rng.choice(mine[:-3])  # leave the newest ones open for the races
        try:
            status, _ = actor.request("cancel-session", "POST", f"/api/sessions/{session}/cancel")
        except NoAnswer as e:
            if not e.refused:
                with ledger.lock:
                    ledger.session_cancel_unknown.add(session)
            raise
        if status == 200:
            with ledger.lock:
                ledger.session_cancel_acked.add(session)
    elif choice < 0.72:
        actor.logout()
    else:
        actor.request("dashboard", "GET", "/api/facilitator/dashboard")
    time.sleep(0.02)  # pacing only: facilitators publish less often than users book


def run_actor(h, actor, step, seed):
    rng = random.Random(seed)
    while not h.stop_workload.is_set():
        try:
            step(h, actor, rng)
        except NoAnswer as e:
            h.ledger.count("refused" if e.refused else "no-answer", "-")
            time.sleep(0.05)  # the server is down (crash round): try again shortly


class NotificationCollector:
    """A facilitator's WebSocket: replays after the last position seen, then live; reconnects."""

    def __init__(self, h, actor, rng):
        self.h, self.actor, self.rng = h, actor, rng
        self.positions = set()
        self.connections = 0

    def session(self, until):
        token = self.actor.token
        if token is None:
            self.actor.authenticate()
            token = self.actor.token
        after = max(self.positions, default=0)
        url = f"ws://127.0.0.1:{self.h.engine.port}/api/notifications/ws?after={after}"
        with ws_connect(url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10) as socket:
            self.connections += 1
            while not until():
                try:
                    message = json.loads(socket.recv(timeout=0.5))
                except TimeoutError:
                    continue
                if "position" in message and message.get("type") in ("new_booking", "booking_cancelled"):
                    self.positions.add(message["position"])
                if self.rng.random() < 0.01:
                    return  # a facilitator closing the tab; the next connection resumes after the last seen

    def run(self):
        while not self.h.stop_workload.is_set():
            try:
                self.session(self.h.stop_workload.is_set)
            except Exception:  # crash round, logout (1008), refused upgrade: reconnect
                self.actor.token = None if self.rng.random() < 0.5 else self.actor.token
                time.sleep(0.05)

    def catch_up(self, expected):
        """After the run: reconnect until every expected position arrived (or the deadline)."""
        end = time.time() + DEADLINE
        while not expected <= self.positions and time.time() < end:
            try:
                self.session(lambda: expected <= self.positions or time.time() > end)
            except Exception:
                self.actor.token = None
                time.sleep(0.05)


# ---------------------------------------------------------------- the run

class Harness:
    def __init__(self, arguments):
        self.a = arguments
        self.work = tempfile.mkdtemp(prefix="harness-")
        self.ledger = Ledger()
        self.stop_workload = threading.Event()
        self.crm = CRMReceiver(free_port())
        self.smtp = SMTPServer(self.work, free_port())
        env = dict(os.environ, RATE_LIMIT_ENABLED="false", BOOKING_ENV="development",
                   CRM_SERVICE_URL=f"http://127.0.0.1:{self.crm.port}", CRM_BEARER_TOKEN=CRM_TOKEN,
                   SMTP_SERVER="localhost", SMTP_PORT=str(self.smtp.port),
                   SMTP_CA_FILE=os.path.join(ROOT, "Fixtures", "smtp-tls", "ca.pem"),
                   # Short backoff and a generous budget: an outage of a few seconds must delay, never park.
                   CRM_MAX_ATTEMPTS="40", CRM_RETRY_BASE_MS="100", CRM_RETRY_MAX_MS="1000",
                   EMAIL_MAX_ATTEMPTS="40", EMAIL_RETRY_BASE_MS="100", EMAIL_RETRY_MAX_MS="1000")
        self.engine = Engine(arguments.binary, self.work, free_port(), env)
        self.crashes = 0
        self.outages = 0

    def chaos(self, started):
        """Crash rounds and the outage, spread over the workload's duration."""
        rng = random.Random(self.a.seed + 1)
        seconds, rounds = self.a.seconds, self.a.crash_rounds
        events = [(started + seconds * (i + rng.uniform(0.3, 0.9)) / (rounds + 1), "crash") for i in range(rounds)]
        if self.a.outage:
            events += [(started + seconds * 0.3, "peers-down"), (started + seconds * 0.6, "peers-up")]
        for at, what in sorted(events):
            time.sleep(max(0, at - time.time()))
            if what == "crash":
                self.engine.kill()
                self.crashes += 1
                self.engine.start()
            elif what == "peers-down":
                self.crm.stop()
                self.smtp.stop()
            else:
                self.crm.start()
                self.smtp.start()
                self.outages += 1

    def run(self):
        self.crm.start()
        self.smtp.start()
        self.engine.start()
        rng = random.Random(self.a.seed)
        facilitators = [Actor(self, f"host{i}@harness.example", "facilitator") for i in range(self.a.facilitators)]
        users = [Actor(self, f"guest{i}@harness.example", "user") for i in range(self.a.users)]
        for actor in facilitators:
            actor.authenticate()
        collectors = [NotificationCollector(self, Actor(self, f.email, "facilitator"), random.Random(rng.random()))
                      for f in facilitators] if ws_connect else []
        for c in collectors:
            c.actor.user_id = -1  # registered above: log in
        threads = [threading.Thread(target=run_actor, args=(self, f, facilitator_step, rng.random())) for f in facilitators]
        threads += [threading.Thread(target=run_actor, args=(self, u, user_step, rng.random())) for u in users]
        threads += [threading.Thread(target=c.run) for c in collectors]
        started = time.time()
        for t in threads:
            t.start()
        chaos = threading.Thread(target=self.chaos, args=(started,))
        chaos.start()
        time.sleep(self.a.seconds)
        chaos.join()  # every crash round and the outage's end happen before the workload stops
        self.stop_workload.set()
        for t in threads:
            t.join()
        self.elapsed = time.time() - started
        return facilitators, users, collectors

    def drain(self):
        """Waits for both side-effect backlogs to reach zero; fails only after DEADLINE s without progress
        (mail over STARTTLS is the slow part: thousands of messages take minutes on a debug build)."""
        best, last_progress = None, time.time()
        while True:
            status, health = call(self.engine.base, "GET", "/health")
            effects = health.get("side_effects", {}) if status == 200 else {}
            backlog = sum(effects.get(k, {}).get("backlog", 10**9) for k in ("crm", "email"))
            if backlog == 0:
                return health
            if best is None or backlog < best:
                best, last_progress = backlog, time.time()
            elif time.time() - last_progress > DEADLINE:
                raise RuntimeError(f"side-effect backlog stuck at {backlog} for {DEADLINE} s: {effects}")
            time.sleep(0.1)


def fetch_all(base, path, token):
    """Every page of a list route (Link: rel=next is followed by cursor)."""
    items, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        url = base + path + sep + "limit=1000" + (f"&cursor={cursor}" if cursor is not None else "")
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as r:
            page = json.loads(r.read())
            link = r.headers.get("Link")
        items += page
        if not link or 'rel="next"' not in link:
            return items
        cursor = link.split("cursor=")[1].split(">")[0].split("&")[0]


def export(binary, data):
    result = subprocess.run([binary, "audit", "export", "--data-dir", data], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"audit export failed: {result.stderr[-2000:]}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def check(results, name, problems):
    """Records one check; `problems` is a list of strings (empty: pass)."""
    if problems:
        shown = "; ".join(problems[:5]) + (f"; ... {len(problems)} in all" if len(problems) > 5 else "")
        print(f"FAIL {name}: {shown}", flush=True)
    else:
        print(f"PASS {name}", flush=True)
    results.append(not problems)


def verify(h, facilitators, users, collectors):
    results = []
    ledger, base, binary = h.ledger, h.engine.base, h.a.binary
    health = h.drain()
    events = export(binary, h.engine.data)
    by_type = collections.defaultdict(list)
    for e in events:
        by_type[e["type"]].append(e)
    confirmed = {e["payload"]["booking_id"]: e for e in by_type["booking.confirmed"]}
    print(f"ran {h.elapsed:.1f} s: {len(events)} events, {len(confirmed)} bookings confirmed, "
          f"{len(by_type['booking.cancelled'])} cancelled, {h.crashes} crash rounds, {h.outages} outages, "
          f"{sum(v for k, v in ledger.ops.items() if not k.startswith(('no-answer', 'refused')))} answered requests, "
          f"{ledger.ops['no-answer -']} without answer, {ledger.ops['refused -']} refused connections", flush=True)
    print("operations: " + ", ".join(f"{k}: {v}" for k, v in sorted(ledger.ops.items())), flush=True)

    check(results, "no 5xx answers", [f"{k}" for k in ledger.server_errors])
    check(results, "crash rounds done", [] if h.crashes == h.a.crash_rounds else [f"{h.crashes} of {h.a.crash_rounds}"])

    # Every acknowledged booking and cancellation is present as acknowledged, per user and per facilitator.
    actors = {a.email: a for a in facilitators + users}
    for a in actors.values():
        if a.token is None:
            a.authenticate()
    seen = {}
    problems = []
    for a in users:
        for b in fetch_all(base, "/api/bookings/my", a.token):
            seen[b["booking_id"]] = (a.email, b["session_id"], b["booking_status"])
    with ledger.lock:
        def expected_status(booking, session):
            if booking in ledger.cancel_acked or session in ledger.session_cancel_acked:
                return {"cancelled"}
            if booking in ledger.cancel_unknown or session in ledger.session_cancel_unknown:
                return {"confirmed", "cancelled"}
            return {"confirmed"}
        for booking, v in ledger.bookings.items():
            got = seen.get(booking)
            if got is None:
                problems.append(f"booking {booking} of {v['user']} acknowledged but missing")
            elif got[:2] != (v["user"], v["session"]) or got[2] not in expected_status(booking, v["session"]):
                problems.append(f"booking {booking}: acknowledged {v} {sorted(expected_status(booking, v['session']))}, API says {got}")
        for booking, (email, session, _) in seen.items():
            if booking not in ledger.bookings and ledger.booking_unknown[(email, session)] == 0:
                problems.append(f"booking {booking} of {email} on session {session} was never requested without answer")
    check(results, "acknowledged bookings and cancellations present as acknowledged (GET /api/bookings/my)", problems)

    problems = []
    for f in facilitators:
        listed = {b["booking_id"]: b for b in fetch_all(base, "/api/facilitator/bookings", f.token)}
        sessions = {s["id"]: s for s in fetch_all(base, "/api/facilitator/sessions", f.token)}
        with ledger.lock:
            for sid, owner in ledger.sessions.items():
                if owner == f.email and sid not in sessions:
                    problems.append(f"session {sid} of {owner} acknowledged but missing")
                elif owner == f.email and sid in ledger.session_cancel_acked and sessions[sid]["status"] != "cancelled":
                    problems.append(f"session {sid} cancel acknowledged but status {sessions[sid]['status']}")
            for booking, v in ledger.bookings.items():
                if ledger.sessions.get(v["session"]) != f.email:
                    continue
                b = listed.get(booking)
                if b is None:
                    problems.append(f"booking {booking} missing from {f.email}'s facilitator view")
                elif b["booking_status"] != seen.get(booking, (0, 0, None))[2]:
                    problems.append(f"booking {booking}: facilitator sees {b['booking_status']}, user sees {seen.get(booking)}")
    check(results, "facilitator views agree with the ledger (GET /api/facilitator/bookings, /sessions)", problems)

    # Capacity and double bookings, at every point of the log and in the API now.
    capacity, active, holders, over, doubles = {}, collections.Counter(), collections.defaultdict(collections.Counter), [], []
    for e in events:
        p = e["payload"]
        if e["type"] == "session.created":
            capacity[p["session_id"]] = p["details"]["capacity"]
        elif e["type"] == "session.updated" and "capacity" in p.get("changes", {}):
            capacity[p["session_id"]] = p["changes"]["capacity"]
        elif e["type"] == "booking.confirmed":
            active[p["session_id"]] += 1
            holders[p["session_id"]][p["user_id"]] += 1
            if active[p["session_id"]] > capacity[p["session_id"]]:
                over.append(f"session {p['session_id']} at position {e['position']}: {active[p['session_id']]} > {capacity[p['session_id']]}")
            if holders[p["session_id"]][p["user_id"]] > 1:
                doubles.append(f"user {p['user_id']} twice on session {p['session_id']} at position {e['position']}")
        elif e["type"] == "booking.cancelled":
            active[p["session_id"]] -= 1
            holders[p["session_id"]][p["user_id"]] -= 1
    for f in facilitators:
        for s in fetch_all(base, "/api/facilitator/sessions", f.token):
            if s["booked_count"] > s["capacity"]:
                over.append(f"API: session {s['id']} booked {s['booked_count']} of {s['capacity']}")
    active_pairs = collections.Counter((v[0], v[1]) for v in seen.values() if v[2] == "confirmed")
    doubles += [f"API: {k} holds {n} active bookings" for k, n in active_pairs.items() if n > 1]
    check(results, "no session over capacity at any point (log fold and API)", over)
    check(results, "no user with two active bookings on one session (log fold and API)", doubles)
    full = sum(1 for s, n in active.items() if n == capacity.get(s))
    print(f"races: {ledger.ops['book 409']} bookings refused 409, {full} sessions full at the end", flush=True)

    # Side effects: every confirmed booking delivered to the CRM and mailed, by event id.
    with h.crm.lock:
        received = dict(h.crm.received)
        unauthorised = h.crm.unauthorised
    wanted = [e for e in events if e["type"] in ("booking.confirmed", "booking.cancelled")]
    missing = [f"{e['type']} {e['event_id']} (position {e['position']})" for e in wanted if e["event_id"].lower() not in received]
    wrong = [f"{e['event_id']}: {received[e['event_id'].lower()][0].get('type')}" for e in wanted
             if e["event_id"].lower() in received
             and received[e["event_id"].lower()][0].get("type") != e["type"].replace(".", "_")
             and received[e["event_id"].lower()][0].get("booking_id") != e["payload"]["booking_id"]]
    duplicates = sum(len(v) - 1 for v in received.values())
    check(results, f"every booking event delivered to the CRM by webhook-id ({len(wanted)} events, {duplicates} resends)", missing + wrong)
    check(results, "CRM saw only the right bearer token", [f"{unauthorised} requests refused"] if unauthorised else [])
    mails = h.smtp.message_ids()
    missing = [f"{e['event_id']} (position {e['position']})" for e in by_type["booking.confirmed"]
               if f"<{e['event_id'].lower()}.booking-confirmation@booking-engine>" not in mails]
    check(results, f"every confirmed booking mailed (Message-ID <event-id.booking-confirmation@booking-engine>; {sum(mails.values())} messages)", missing)
    parked = [f"{k}: {v.get('dead_letters')}" for k, v in health.get("side_effects", {}).items() if v.get("dead_letters")]
    check(results, "no dead letters", parked)

    # Notifications: every facilitator got every booking event of its sessions, over REST and WebSocket.
    expected = collections.defaultdict(set)
    for e in wanted:
        expected[e["payload"]["facilitator_id"]].add(e["position"])
    problems = []
    for f in facilitators:
        got, after = set(), 0
        while True:
            status, page = call(base, "GET", f"/api/notifications?after={after}&limit=1000", token=f.token)
            if status != 200 or not page:
                break
            got |= {n["position"] for n in page}
            after = page[-1]["position"]
        lost = expected[f.user_id] - got
        if lost:
            problems.append(f"{f.email} lacks positions {sorted(lost)[:10]}")
    check(results, "every facilitator's notifications present (GET /api/notifications?after=0)", problems)
    if collectors:
        problems = []
        for c in collectors:
            c.catch_up(expected[c.actor.user_id])
            lost = expected[c.actor.user_id] - c.positions
            if lost:
                problems.append(f"{c.actor.email} never received positions {sorted(lost)[:10]} over {c.connections} sockets")
        check(results, f"every facilitator received every notification over WebSocket ({sum(c.connections for c in collectors)} connections)", problems)
    else:
        check(results, "WebSocket client available (pip: websockets; tools/install-test-deps.sh)", ["import failed"])

    # The log itself: the chain verifies, a rebuild from zero agrees with the write model, and with
    # the live server's projections (their digest, logged when it stops gracefully, at the same position).
    h.engine.stop()
    live = live_projection_digest(os.path.join(h.work, "serve.log"))
    for command in (["audit", "verify"], ["rebuild"]):
        result = subprocess.run([binary, *command, "--data-dir", h.engine.data], capture_output=True, text=True)
        check(results, " ".join(command) + " exits 0", [] if result.returncode == 0 else [f"exit {result.returncode}: {(result.stdout + result.stderr)[-500:]}"])
        if command == ["rebuild"]:
            rebuilt = re.search(r"rebuilt (\d+) events", result.stdout)
            digest = re.search(r"read model digest: (\S+)", result.stdout)
            rebuilt = (int(rebuilt.group(1)), digest.group(1)) if rebuilt and digest else None
            problems = [] if live and rebuilt == live else [f"live server at shutdown {live}, rebuild {rebuilt}"]
            check(results, "rebuild matches the live projections (position and digest)", problems)

    with open(os.path.join(h.work, "serve.log"), errors="replace") as f:
        fatal = [line.strip()[:200] for line in f if "Fatal error" in line or "Internal error" in line]
    check(results, "no internal errors in the server log", fatal)
    return results


def live_projection_digest(log_path):
    """(position, digest) from the server's last `stopped` line, or None."""
    found = None
    with open(log_path, errors="replace") as f:
        for line in f:
            if " stopped" in line and "projection.digest=" in line:
                position = re.search(r"log\.position=(\d+)", line)
                digest = re.search(r"projection\.digest=(\S+)", line)
                if position and digest:
                    found = (int(position.group(1)), digest.group(1))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--facilitators", type=int, default=4)
    parser.add_argument("--crash-rounds", type=int, default=0)
    parser.add_argument("--outage", action="store_true")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--keep", action="store_true", help="keep the work directory (data, logs, mail)")
    arguments = parser.parse_args()
    print(f"harness: seed {arguments.seed}, {arguments.users} users, {arguments.facilitators} facilitators, "
          f"{arguments.seconds} s, {arguments.crash_rounds} crash rounds, outage {'on' if arguments.outage else 'off'}", flush=True)
    h = Harness(arguments)
    results = []
    try:
        facilitators, users, collectors = h.run()
        results = verify(h, facilitators, users, collectors)
    except Exception as e:  # a harness that cannot finish has failed, with the reason
        print(f"FAIL harness ran to the end: {type(e).__name__}: {e}", flush=True)
        results.append(False)
    finally:
        h.stop_workload.set()
        for stop in (h.engine.stop, h.crm.stop, h.smtp.stop):
            try:
                stop()
            except Exception:
                pass
        if arguments.keep or not all(results):
            print(f"work directory kept: {h.work}")
        else:
            shutil.rmtree(h.work, ignore_errors=True)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
