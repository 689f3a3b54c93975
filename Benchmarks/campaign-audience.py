#!/usr/bin/env python3
"""A 100,000-recipient campaign on a running server: fills the demo account with customers whose
numbers have explicit marketing consent (straight into the database: the API would take longer
than the thing measured), then counts the audience through the API and sends a campaign now.
Prints the audience count's time, the queuing time (the campaign's scheduled_at to queued_at as
the server stored them), the outbox rows written, and the server's peak RSS before and after.

    BENCH_BASE_URL=http://127.0.0.1:18181 BENCH_TOKEN=… BENCH_ENGINE=sqlite \
    BENCH_DATABASE=/tmp/bench.sqlite BENCH_SERVER_PID=1234 python3 Benchmarks/campaign-audience.py
    (BENCH_ENGINE=postgres with BENCH_DATABASE=postgres://…; BENCH_RECIPIENTS=100000)
"""
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid

BASE = os.environ["BENCH_BASE_URL"]
TOKEN = os.environ["BENCH_TOKEN"]
ENGINE = os.environ["BENCH_ENGINE"]
DATABASE = os.environ["BENCH_DATABASE"]
SERVER_PID = os.environ["BENCH_SERVER_PID"]
COUNT = int(os.environ.get("BENCH_RECIPIENTS", "100000"))
STATES = ["TX", "FL", "CA", "NY", "WA", "IL"]


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        BASE + "/api/v1" + path, data=data, method=method,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


def peak_rss_mib():
    with open(f"/proc/{SERVER_PID}/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) // 1024
    return 0


def rows():
    now = time.time()
    account = call("GET", "/account")["id"]
    for index in range(COUNT):
        customer = str(uuid.uuid4())
        phone = f"+1737{3000000 + index}"
        state = STATES[index % len(STATES)]
        yield account, customer, index, phone, state, now


def fill_sqlite():
    import sqlite3
    db = sqlite3.connect(DATABASE, timeout=60)
    with db:
        for account, customer, index, phone, state, now in rows():
            db.execute(
                "INSERT INTO customers (id, account_id, name, search_name, notes, tags, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, NULL, ?, ?, ?)",
                (customer, account, f"Bench {index}", f"bench {index}", "|bench|", now, now))
            db.execute(
                "INSERT INTO locations (id, account_id, customer_id, name, street, unit, city, state, postal_code, "
                "search_text, verified, latitude, longitude, created_at) "
                "VALUES (?, ?, ?, NULL, ?, NULL, 'Town', ?, '00000', '', 0, NULL, NULL, ?)",
                (str(uuid.uuid4()), account, customer, f"{index} Main St", state, now))
            db.execute(
                "INSERT INTO phone_contacts (id, account_id, customer_id, e164, kind, label, job_notifications, "
                "marketing_updates, created_at) VALUES (?, ?, ?, ?, 'mobile', NULL, 1, 1, ?)",
                (str(uuid.uuid4()), account, customer, phone, now))
            db.execute(
                "INSERT INTO sms_consent (account_id, phone, opted_out, marketing, confirmation_owed, "
                "double_opt_in_until, updated_at) VALUES (?, ?, 0, 'opted_in', 0, NULL, ?)",
                (account, phone, now))
    db.close()


def fill_postgres():
    account = call("GET", "/account")["id"]
    states = "ARRAY[" + ",".join(f"'{s}'" for s in STATES) + "]"
    sql = f"""
    BEGIN;
    CREATE TEMP TABLE bench AS
      SELECT g AS n, gen_random_uuid()::text AS customer, '+1737' || (3000000 + g) AS phone
      FROM generate_series(0, {COUNT - 1}) g;
    INSERT INTO customers (id, account_id, name, search_name, notes, tags, created_at, updated_at)
      SELECT customer, '{account}', 'Bench ' || n, 'bench ' || n, NULL, '|bench|', now(), now() FROM bench;
    INSERT INTO locations (id, account_id, customer_id, name, street, unit, city, state, postal_code, search_text,
                           verified, latitude, longitude, created_at)
      SELECT gen_random_uuid()::text, '{account}', customer, NULL, n || ' Main St', NULL, 'Town',
             ({states})[1 + n % {len(STATES)}], '00000', '', false, NULL, NULL, now() FROM bench;
    INSERT INTO phone_contacts (id, account_id, customer_id, e164, kind, label, job_notifications, marketing_updates,
                                created_at)
      SELECT gen_random_uuid()::text, '{account}', customer, phone, 'mobile', NULL, true, true, now() FROM bench;
    INSERT INTO sms_consent (account_id, phone, opted_out, marketing, confirmation_owed, double_opt_in_until, updated_at)
      SELECT '{account}', phone, false, 'opted_in', false, NULL, now() FROM bench;
    COMMIT;
    ANALYZE;
    """
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", DATABASE, "-c", sql], check=True)


def queuing_seconds(campaign):
    """scheduled_at → queued_at as the server stored them (the API shows whole seconds)."""
    if ENGINE == "sqlite":
        import sqlite3
        db = sqlite3.connect(DATABASE, timeout=60)
        scheduled, queued = db.execute(
            "SELECT scheduled_at, queued_at FROM campaigns WHERE id = ?", (campaign,)).fetchone()
        db.close()
        return queued - scheduled
    result = subprocess.run(
        ["psql", "-qtA", DATABASE, "-c",
         f"SELECT EXTRACT(EPOCH FROM queued_at - scheduled_at) FROM campaigns WHERE id = '{campaign}'"],
        check=True, capture_output=True, text=True)
    return float(result.stdout.strip())


def main():
    started = time.time()
    (fill_sqlite if ENGINE == "sqlite" else fill_postgres)()
    print(f"Filled {COUNT:,} customers with marketing consent in {time.time() - started:.1f} s.")
    rss_before = peak_rss_mib()

    started = time.time()
    preview = call("POST", "/campaigns/audience-preview", {"tags": ["bench"]})
    preview_seconds = time.time() - started
    if preview["recipients"] != COUNT:
        sys.exit(f"the audience count is {preview['recipients']}, not {COUNT}: {preview}")

    campaign = call("POST", "/campaigns", {
        "name": "Benchmark", "body": "Bench: 10% off tune-ups this week", "audience": {"tags": ["bench"]},
        "send": "now"})
    deadline = time.time() + 600
    while True:
        current = call("GET", f"/campaigns/{campaign['id']}")
        if current["status"] == "queued":
            break
        if time.time() > deadline:
            sys.exit("the campaign was not queued within 10 minutes")
        time.sleep(0.5)
    queue_seconds = queuing_seconds(campaign["id"])
    progress = current["progress"]
    queued_total = progress["queued"] + progress["held"] + progress["sent"]
    if progress["total"] != COUNT or queued_total != COUNT:
        sys.exit(f"the campaign reached {progress}, not {COUNT}")
    print()
    print("| engine | recipients | audience count (API) | queued (resolve + gate + write) | held for quiet hours | server peak RSS before | after |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {ENGINE} | {COUNT:,} | {preview_seconds:.2f} s | {queue_seconds:.2f} s | {progress['held']:,} | "
          f"{rss_before} MiB | {peak_rss_mib()} MiB |")


if __name__ == "__main__":
    main()
