#!/usr/bin/env python3
"""Crash test: signed inbound webhooks and outbound replies in flight while the server is killed
with SIGKILL and restarted, several times. Afterwards:

  * every inbound text the server answered 200 is stored exactly once (retried webhooks, as
    Twilio retries unanswered ones, are deduplicated);
  * every reply the API accepted (201) reached the fake Twilio exactly once, and no reply reached it
    twice; a reply whose answer was cut off by the kill is retried with its Idempotency-Key until
    answered, and is then sent exactly once too (run once if it had not committed, never again if
    it had);
  * no message is stuck: nothing is left queued, and the outbox is empty.

    python3 CrashTests/crash_test.py PATH_TO_FIELDLINE_BINARY [KILLS]

On SQLite by default; with CRASH_POSTGRES_URL (any database on a PostgreSQL server it may create
databases on) it runs on a fresh database of that server instead, and reads it back with psql.
"""
import base64
import collections
import hashlib
import hmac
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

BIN = os.path.abspath(sys.argv[1])
KILLS = int(sys.argv[2]) if len(sys.argv) > 2 else 4
PORT = int(os.environ.get("CRASH_PORT", "18281"))
FAKE_PORT = int(os.environ.get("CRASH_FAKE_PORT", "18290"))
BASE = f"http://127.0.0.1:{PORT}"
ACCOUNT_SID = "AC" + os.urandom(16).hex()
AUTH_TOKEN = os.urandom(16).hex()
NUMBER = "+15125550377"
PASSWORD = "crash-test-password-1"
WORK = tempfile.mkdtemp(prefix="fieldline-crash-")
DB = os.path.join(WORK, "crash.sqlite")
POSTGRES = os.environ.get("CRASH_POSTGRES_URL")
if POSTGRES:
    # A fresh database on the same server: the URL's path names the one to create.
    parsed = urllib.parse.urlparse(POSTGRES)
    DATABASE_URL = parsed._replace(path="/fieldline_crash_" + os.urandom(4).hex()).geturl()
    subprocess.run(["psql", POSTGRES, "-qc", f"CREATE DATABASE {urllib.parse.urlparse(DATABASE_URL).path[1:]}"],
                   check=True)
else:
    DATABASE_URL = f"sqlite://{DB}"
ENGINE = "postgres" if POSTGRES else "sqlite"
ENV = dict(os.environ, FIELDLINE_DATABASE_URL=DATABASE_URL, FIELDLINE_SECRET_KEY="crash-test-secret-key-0123",
           FIELDLINE_TWILIO_API_BASE=f"http://127.0.0.1:{FAKE_PORT}", FIELDLINE_PUBLIC_URL=BASE,
           FIELDLINE_LOG_LEVEL="warning", FIELDLINE_TWILIO_AUTH_TOKEN=AUTH_TOKEN, FIELDLINE_NEW_PASSWORD=PASSWORD)
random.seed(int(os.environ.get("CRASH_SEED", "20261201")))


def query(sql):
    """Rows of a query against the test's database, as tuples of strings or ints."""
    if not POSTGRES:
        return sqlite3.connect(DB).execute(sql).fetchall()
    out = subprocess.run(["psql", DATABASE_URL, "-AtF", "\t", "-c", sql], capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        rows.append(tuple(int(v) if v.lstrip("-").isdigit() else v for v in line.split("\t")))
    return rows


def cli(*args):
    out = subprocess.run([BIN, *args], env=ENV, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        sys.exit(f"fieldline {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


class Server:
    def __init__(self):
        self.process = None
        self.log = open(os.path.join(WORK, "server.log"), "ab")

    def start(self):
        self.process = subprocess.Popen([BIN, "serve", "--port", str(PORT)], env=ENV, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(BASE + "/health", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        sys.exit("the server did not come up")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def request(method, path, body=None, headers=None, form=None, timeout=5):
    data, headers = None, dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return None, b""  # no answer: the server died or is restarting


def signature(url, form):
    payload = url + "".join(k + v for k, v in sorted(form.items()))
    return base64.b64encode(hmac.new(AUTH_TOKEN.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def text_in(sid, sender, body):
    form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": sender, "To": NUMBER,
            "Body": body, "NumMedia": "0"}
    url = BASE + "/webhooks/twilio/messages"
    status, _ = request("POST", "/webhooks/twilio/messages", form=form,
                        headers={"X-Twilio-Signature": signature(url, form)})
    return status


def main():
    fake = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "..", "Benchmarks",
                                                          "fake_twilio.py"), str(FAKE_PORT), ACCOUNT_SID, AUTH_TOKEN])
    server = Server()
    try:
        account = cli("account", "create", "--name", "Crash Test Plumbing", "--time-zone", "America/Chicago")
        account_id = account.split("with id ")[1].split()[0]
        cli("user", "create", "--account", account_id, "--email", "admin@crash.test", "--name", "Crash Admin",
            "--role", "admin")
        for kind in ("texting", "marketing"):
            cli("registration", "record", "--account", account_id, "--kind", kind, "--status", "approved")
        cli("number", "add", "--account", account_id, "--number", NUMBER, "--account-sid", ACCOUNT_SID,
            "--default", "--rate", "40")
        server.start()
        status, raw = request("POST", "/api/v1/auth/token", {"email": "admin@crash.test", "password": PASSWORD})
        token = json.loads(raw)["token"]
        auth = {"Authorization": f"Bearer {token}"}

        # Customers text in first, so there are threads to answer.
        senders = [f"+1512{random.randint(2000000, 9999999)}" for _ in range(60)]
        for sender in senders:
            assert text_in("SM" + os.urandom(16).hex(), sender, "Hello, is anyone there?") == 200
        status, raw = request("GET", "/api/v1/conversations?status=open&limit=100", headers=auth)
        conversations = [item["id"] for item in json.loads(raw)["items"]]
        assert len(conversations) == len(senders), raw[:300]

        answered_in = set()       # webhook sids answered 200
        pending_in = {}           # sid -> (sender, body) not answered yet: retried like Twilio does
        accepted_out = set()      # reply bodies answered 201 the first time
        tried_out = set()         # every reply body sent to the API
        retried_out = {}          # body -> final answer of a reply cut off by a kill, retried with its key
        unresolved_out = {}       # body -> key: cut off, still to be retried
        lock = threading.Lock()
        stop = threading.Event()

        def inbound_worker(worker):
            n = 0
            while not stop.is_set():
                n += 1
                sid, sender = f"SM{worker:04d}{n:08d}" + os.urandom(10).hex(), random.choice(senders)
                body = f"inbound {worker}-{n}"
                status = text_in(sid, sender, body)
                with lock:
                    (answered_in.add(sid) if status == 200 else pending_in.__setitem__(sid, (sender, body)))

        def send_reply(conversation, body, key):
            return request("POST", f"/api/v1/conversations/{conversation}/messages", {"body": body},
                           headers={**auth, "Idempotency-Key": key})

        def retry_until_answered(conversation, body, key):
            # As a careful client does: the same request with the same key until a definite answer.
            # 201 (first or replayed) and 409 idempotency_key_in_use (it took effect, its answer was
            # lost) both mean the text exists; the check below wants it sent exactly once either way.
            while True:
                status, raw = send_reply(conversation, body, key)
                if status == 201 or (status == 409 and b"idempotency_key_in_use" in raw):
                    return status
                if status is not None and status < 500 and status != 409:
                    return status
                time.sleep(0.2)

        def outbound_worker(worker):
            n = 0
            while not stop.is_set():
                n += 1
                body = f"reply {worker}-{n}"
                key = f"crash-{worker}-{n}-{os.urandom(4).hex()}"
                conversation = random.choice(conversations)
                with lock:
                    tried_out.add(body)
                status, _ = send_reply(conversation, body, key)
                if status == 201:
                    with lock:
                        accepted_out.add(body)
                elif status is None:
                    time.sleep(0.2)
                    final = retry_until_answered(conversation, body, key)
                    with lock:
                        retried_out[body] = final

        threads = [threading.Thread(target=inbound_worker, args=(i,)) for i in range(6)]
        threads += [threading.Thread(target=outbound_worker, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for kill in range(KILLS):
            time.sleep(random.uniform(1.5, 4.0))
            server.kill()
            print(f"kill {kill + 1}: SIGKILL with {len(answered_in)} texts in and {len(accepted_out)} replies accepted")
            time.sleep(random.uniform(0.1, 0.8))
            server.start()
        time.sleep(2)
        stop.set()
        for thread in threads:
            thread.join()

        # Twilio retries webhooks that got no answer; so do we, until each is answered.
        for attempt in range(5):
            for sid, (sender, body) in list(pending_in.items()):
                if text_in(sid, sender, body) == 200:
                    answered_in.add(sid)
                    del pending_in[sid]
        assert not pending_in, f"{len(pending_in)} webhooks never answered 200"

        # Let the outbox finish: a worker killed mid-send is presumed dead after 15 s and its rows
        # reconciled with the fake's message list.
        deadline = time.time() + 120
        while True:
            # Handed to Twilio is "sending" until its status callback (the fake sends none); stuck is
            # a text still queued, or an outbox row still waiting or in flight.
            stuck = query(
                "SELECT (SELECT count(*) FROM messages WHERE direction='outbound' AND status='queued')"
                " + (SELECT count(*) FROM outbox)")[0][0]
            if stuck == 0 or time.time() > deadline:
                break
            time.sleep(1)
        server.stop()

        failures = []
        rows = query(
            "SELECT provider_message_id, count(*) FROM messages WHERE direction='inbound' GROUP BY provider_message_id")
        stored = dict(rows)
        twice = [sid for sid, count in stored.items() if count > 1]
        missing = [sid for sid in answered_in if stored.get(sid) != 1]
        if twice:
            failures.append(f"{len(twice)} inbound texts stored more than once")
        if missing:
            failures.append(f"{len(missing)} inbound texts answered 200 but not stored exactly once")
        if stuck:
            failures.append(f"{stuck} outbound texts stuck (queued, or still in the outbox)")
        sent = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{FAKE_PORT}/sent", timeout=5).read())
        counts = collections.Counter(m["body"] for m in sent if m["body"].startswith("reply "))
        duplicated = [body for body, count in counts.items() if count > 1]
        lost = [body for body in accepted_out if counts.get(body, 0) != 1]
        stray = [body for body in counts if body not in tried_out]
        # Every cut-off reply was retried with its key: each must now be sent exactly once, whether
        # its first attempt had committed (the retry was answered from the key) or not (it ran).
        retried_wrong = [f"{body} ({status}, sent {counts.get(body, 0)}x)" for body, status in retried_out.items()
                         if status not in (201, 409) or counts.get(body, 0) != 1]
        if retried_wrong:
            failures.append(f"{len(retried_wrong)} cut-off replies retried with their key not sent exactly once: "
                            f"{retried_wrong[:5]}")
        if duplicated:
            failures.append(f"{len(duplicated)} replies sent more than once: {duplicated[:5]}")
        if lost:
            failures.append(f"{len(lost)} accepted replies not sent exactly once: {lost[:5]}")
        if stray:
            failures.append(f"{len(stray)} texts nobody asked for: {stray[:5]}")
        replayed = sum(1 for status in retried_out.values() if status == 409)
        print(f"{ENGINE}: {KILLS} kills; {len(answered_in)} inbound texts answered and stored once; "
              f"{len(accepted_out)} replies accepted and sent once; {len(retried_out)} cut off by a kill and "
              f"retried with their Idempotency-Key, each sent exactly once ({replayed} had committed before the "
              f"kill and were not run again); 0 stuck" if not failures else "")
        if failures:
            print(f"CRASH TEST FAILED on {ENGINE}:\n  " + "\n  ".join(failures))
            print(f"(server log: {os.path.join(WORK, 'server.log')})")
            sys.exit(1)
        print(f"CRASH TEST PASSED on {ENGINE}")
    finally:
        if server.process and server.process.poll() is None:
            server.process.kill()
        fake.kill()
        if POSTGRES:
            subprocess.run(["psql", POSTGRES, "-qc", f"DROP DATABASE IF EXISTS {urllib.parse.urlparse(DATABASE_URL).path[1:]}"])


if __name__ == "__main__":
    main()
