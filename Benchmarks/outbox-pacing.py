#!/usr/bin/env python3
"""Outbox pacing run: deep queues on 20 numbers at 1 message/second and one at 100/second, sent
through a running server to Benchmarks/fake_twilio.py; prints each number's achieved rate over a
steady minute and its busiest one-second window.

    BENCH_BASE_URL=http://127.0.0.1:18181 BENCH_FAKE_URL=http://127.0.0.1:18190 \
    BENCH_ACCOUNT_SID=AC… BENCH_AUTH_TOKEN=… python3 Benchmarks/outbox-pacing.py
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

BASE = os.environ["BENCH_BASE_URL"]
FAKE = os.environ["BENCH_FAKE_URL"]
ACCOUNT = os.environ["BENCH_ACCOUNT_SID"]
TOKEN_TWILIO = os.environ["BENCH_AUTH_TOKEN"]
WINDOW = float(os.environ.get("BENCH_PACING_SECONDS", "60"))
SLOW_NUMBERS, SLOW_RATE, FAST_RATE = 20, 1.0, 100.0


def call(method, path, body=None, token=None, form=None, headers=None):
    data = None
    all_headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=all_headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
        return json.loads(text) if text.startswith(("{", "[")) else text


def signed_inbound(sender, to, body):
    sid = "SM" + hashlib.md5(f"{sender}{to}{time.time()}".encode()).hexdigest()
    form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT, "From": sender, "To": to, "Body": body,
            "NumMedia": "0"}
    url = BASE + "/webhooks/twilio/messages"
    payload = url + "".join(k + v for k, v in sorted(form.items()))
    signature = base64.b64encode(hmac.new(TOKEN_TWILIO.encode(), payload.encode(), hashlib.sha1).digest()).decode()
    call("POST", "/webhooks/twilio/messages", form=form, headers={"X-Twilio-Signature": signature})


def main():
    token = call("POST", "/api/v1/auth/token",
                 {"email": "admin@northside.example", "password": "fieldline-demo"})["token"]
    plan = [(f"+1737555{1000 + i:04d}", SLOW_RATE, int(WINDOW * SLOW_RATE * 1.5) + 20) for i in range(SLOW_NUMBERS)]
    plan.append(("+17375552000", FAST_RATE, int(WINDOW * FAST_RATE * 1.2) + 500))
    conversations = []
    for index, (number, rate, depth) in enumerate(plan):
        call("POST", "/api/v1/phone-numbers", {
            "number": number, "label": f"Bench {index}", "provider": "twilio", "chat": True, "ratePerSecond": rate,
            "providerAccountId": ACCOUNT, "authToken": TOKEN_TWILIO}, token=token)
        customer_phone = f"+1737556{1000 + index:04d}"
        call("POST", "/api/v1/customers", {"name": f"Pacing customer {index}", "phones": [{"number": customer_phone}]},
             token=token)
        signed_inbound(customer_phone, number, "Hello")
        found = call("GET", f"/api/v1/conversations?q={urllib.parse.quote(customer_phone)}", token=token)["items"]
        conversations.append((number, rate, depth, found[0]["id"]))

    def enqueue(job):
        conversation, count = job
        for n in range(count):
            call("POST", f"/api/v1/conversations/{conversation}/messages", {"body": f"Pacing {n}"}, token=token)

    started = time.time()
    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = []
        for number, rate, depth, conversation in conversations:
            # The fast queue is filled by several threads at once so it stays ahead of 100/s.
            parts = 6 if rate > 10 else 1
            jobs += [(conversation, depth // parts)] * parts
        list(pool.map(enqueue, jobs))
    filled = time.time() - started
    remaining = WINDOW + 8 - (time.time() - started)
    if remaining > 0:
        time.sleep(remaining)
    stats = json.loads(urllib.request.urlopen(FAKE + "/stats").read())

    print(f"queues filled in {filled:.1f}s; measuring each number over {WINDOW:.0f}s after its first 3 seconds")
    print("| number | rate set | sent in window | achieved msg/s | vs rate | busiest 1 s window | closest two |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    worst = 0.0
    over = False
    for number, rate, depth, _ in conversations:
        times = sorted(stats.get(number, []))
        if len(times) < 2:
            print(f"| {number} | {rate:g} | {len(times)} | – | – | – | – |")
            over = True
            continue
        start = times[0] + 3
        window = [t for t in times if start <= t < start + WINDOW]
        achieved = len(window) / WINDOW
        busiest, j = 0, 0
        for i, t in enumerate(times):
            while times[j] <= t - 1:
                j += 1
            busiest = max(busiest, i - j + 1)
        closest = min(b - a for a, b in zip(times, times[1:]))
        deviation = achieved / rate - 1
        worst = max(worst, abs(deviation))
        over = over or achieved > rate * 1.005
        print(f"| {number} | {rate:g} | {len(window)} | {achieved:.2f} | {deviation * 100:+.1f}% | {busiest} | "
              f"{closest * 1000:.0f} ms |")
    print(f"worst deviation from the set rate over the minute: {worst * 100:.1f}%; "
          f"{'a number went over its rate' if over else 'no number went over its rate'}. "
          "Times are when the fake received each request, so they include the HTTP round trip's jitter.")


if __name__ == "__main__":
    sys.exit(main())
