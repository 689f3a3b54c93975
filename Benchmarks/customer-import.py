#!/usr/bin/env python3
"""A 100,000-row customer import (OP1) on a running server, through the API as an integration or
the web page would: writes a realistic export (Windows-1252 text, semicolons, a quoted note over
two lines in some rows, a landline beside the mobile in some, 2% rows repeating an earlier row's
number, 1% bad numbers), uploads it, starts it with duplicates skipped, and polls until it ends.
Prints the upload (stored and checked whole), the import (first poll after start to done), the
counts, rows per second, and the server's resident memory before, at its peak during, and the
peak itself (VmHWM), which shows the file is streamed rather than loaded.

    BENCH_BASE_URL=http://127.0.0.1:18181 BENCH_TOKEN=… BENCH_SERVER_PID=1234 \
    python3 Benchmarks/customer-import.py          (BENCH_IMPORT_ROWS=100000)
"""
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request

BASE = os.environ["BENCH_BASE_URL"]
TOKEN = os.environ["BENCH_TOKEN"]
SERVER_PID = os.environ["BENCH_SERVER_PID"]
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
CITIES = [("Austin", "TX", "787"), ("Miami", "FL", "331"), ("Fresno", "CA", "937"), ("Albany", "NY", "122")]
FIRST = ["José", "Ann", "Müller", "Zoë", "Dana", "Sam", "Renée", "Luis", "Grace", "Omar"]
LAST = ["Martínez", "Lee", "O'Brien", "Nguyen", "Reyes", "Ortiz", "Castellanos", "Smith"]


def call(method, path, body=None, content_type="application/json"):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(
        BASE + "/api/v1" + path, data=data, method=method,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def status_kib(field):
    with open(f"/proc/{SERVER_PID}/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def write_export(path):
    with open(path, "w", encoding="cp1252", newline="") as out:
        out.write("First Name;Last Name;Company;Mobile Phone;Home Phone;E-mail Address;Street;Address Line 2;"
                  "City;State;ZIP;Tags;Notes\r\n")
        for index in range(ROWS):
            city, state, zip_prefix = CITIES[index % len(CITIES)]
            number = index - 5 if index % 50 == 49 else index  # 2%: an earlier row's number
            mobile = f"(737) {300 + number // 10000:03d}-{number % 10000:04d}"
            if index % 100 == 77:
                mobile = "555-12"  # 1%: a number no one can text
            home = f"512.{400 + index // 10000:03d}.{index % 10000:04d}" if index % 3 == 0 else ""
            note = f'"Gate code {index % 9999}\r\nDog in the yard; ring twice"' if index % 5 == 0 else "Annual service"
            out.write(";".join([
                FIRST[index % len(FIRST)], f"{LAST[index % len(LAST)]} {index}",
                "Acme Property Mgmt" if index % 7 == 0 else "", mobile, home,
                f"customer{index}@example.com", f"{100 + index % 9000} Oak Hollow Dr",
                f"Apt {index % 40}" if index % 4 == 0 else "", city, state, f"{zip_prefix}{index % 100:02d}",
                "vip, plan" if index % 10 == 0 else "", note]) + "\r\n")


def main():
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "export.csv")
        write_export(path)
        size = os.path.getsize(path)
        rss_before = status_kib("VmRSS")
        started = time.monotonic()
        with open(path, "rb") as body:
            created = call("POST", "/customer-imports?fileName=export.csv", body.read(), "text/csv")
        uploaded = time.monotonic() - started
        call("PATCH", f"/customer-imports/{created['id']}", {"duplicates": "skip"})
        started = time.monotonic()
        call("POST", f"/customer-imports/{created['id']}/start")
        rss_during = 0
        while True:
            state = call("GET", f"/customer-imports/{created['id']}")
            rss_during = max(rss_during, status_kib("VmRSS"))
            if state["state"] not in ("queued", "working"):
                break
            time.sleep(0.25)
        imported = time.monotonic() - started
        if state["state"] != "done":
            print(f"The import ended {state['state']}: {state.get('failure')}", file=sys.stderr)
            sys.exit(1)
        print(f"| rows | file | upload + check | import | rows/s | created | skipped | failed | "
              f"server RSS before → max during | server peak RSS |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        print(f"| {ROWS:,} | {size / 1024 / 1024:.1f} MB | {uploaded:.1f} s | {imported:.1f} s | "
              f"{ROWS / imported:,.0f} | {state['created']:,} | {state['skipped']:,} | {state['failed']:,} | "
              f"{rss_before // 1024} → {rss_during // 1024} MiB | {status_kib('VmHWM') // 1024} MiB |")


if __name__ == "__main__":
    main()
