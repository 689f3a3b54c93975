#!/usr/bin/env python3
"""The first sync of a ServiceChannel connection: COUNT Open work orders across 50 subscribers
(Benchmarks/fake_servicechannel.py) become bookings. Signs in to the web app, connects on the
settings page as an admin would (the credentials are tried first), and waits until the API says
every work order is in. Reports the time from the connect request, the calls and token requests
the stand-in received, the busiest minute against the budget, and the time against the least the
budget allows: with B calls a minute and C calls, the C-th call cannot come before
floor((C - 1) / B) minutes.

    BENCH_BASE_URL=… BENCH_FAKE_URL=… BENCH_CLIENT_ID=… BENCH_CLIENT_SECRET=… BENCH_USERNAME=…
    BENCH_PASSWORD=… BENCH_COUNT=10000 BENCH_ENVIRONMENT=production|sandbox BENCH_BUDGET=300
    BENCH_ENGINE=sqlite BENCH_SERVER_PID=… python3 Benchmarks/servicechannel-sync.py
"""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

BASE, FAKE = os.environ["BENCH_BASE_URL"], os.environ["BENCH_FAKE_URL"]
COUNT, BUDGET = int(os.environ["BENCH_COUNT"]), int(os.environ["BENCH_BUDGET"])
ENVIRONMENT, ENGINE = os.environ["BENCH_ENVIRONMENT"], os.environ["BENCH_ENGINE"]
SERVER_PID = os.environ.get("BENCH_SERVER_PID")

jar = CookieJar()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def send(path, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with browser.open(urllib.request.Request(BASE + path, data=data), timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def peak_rss_mib():
    if not SERVER_PID:
        return None
    with open(f"/proc/{SERVER_PID}/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) // 1024
    return None


status, page = send("/signin")
sign_in_token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
status, _ = send("/signin", {"_csrf": sign_in_token, "email": "admin@northside.example", "password": "fieldline-demo"})
assert status == 303, f"sign-in answered {status}"
status, page = send("/settings/servicechannel")
assert status == 200, f"the settings page answered {status}"
csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
with urllib.request.urlopen(urllib.request.Request(
        BASE + "/api/v1/auth/token", data=json.dumps({"email": "admin@northside.example",
                                                      "password": "fieldline-demo"}).encode(),
        headers={"Content-Type": "application/json"})) as response:
    token = json.load(response)["token"]

def overview():
    with urllib.request.urlopen(urllib.request.Request(
            BASE + "/api/v1/servicechannel", headers={"Authorization": f"Bearer {token}"})) as response:
        return json.load(response)


# The demo account has a few work orders of its own already.
already = overview()["workOrdersImported"]
rss_before = peak_rss_mib()
started = time.time()
status, body = send("/settings/servicechannel/connect", {
    "_csrf": csrf, "authorization": "1", "environment": ENVIRONMENT, "clientId": os.environ["BENCH_CLIENT_ID"],
    "clientSecret": os.environ["BENCH_CLIENT_SECRET"], "username": os.environ["BENCH_USERNAME"],
    "password": os.environ["BENCH_PASSWORD"]})
assert status == 303, f"connecting answered {status}: {body[:500]}"

imported = 0
deadline = started + 3600
while time.time() < deadline:
    imported = overview()["workOrdersImported"] - already
    if imported >= COUNT:
        break
    time.sleep(0.2)
elapsed = time.time() - started
if imported < COUNT:
    sys.exit(f"only {imported} of {COUNT} work orders arrived within an hour")

with urllib.request.urlopen(FAKE + "/_stats") as response:
    stats = json.load(response)
calls = stats["calls"]
least = (calls - 1) // BUDGET * 60
ratio = f"{elapsed / least:.2f}" if least > 0 else "n/a (fits in one minute)"
print(f"| engine | budget | work orders | time | API calls | token requests | busiest minute | throttled "
      f"| least time the budget allows | time ÷ least | server peak RSS |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
print(f"| {ENGINE} | {BUDGET}/min ({ENVIRONMENT}) | {imported:,} | {elapsed:.1f} s | {calls} | {stats['tokenRequests']} "
      f"| {stats['busiestMinute']} | {stats['throttled']} | {least} s | {ratio} "
      f"| {rss_before} → {peak_rss_mib()} MiB |")
if stats["tokenLimitViolations"] or stats["busiestMinute"] > BUDGET or stats["throttled"]:
    sys.exit(f"limits broken: {stats}")
