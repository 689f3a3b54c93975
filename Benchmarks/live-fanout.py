"""Live fan-out: how long after an inbound text is accepted do 200 open browser tabs hear of it?

Opens BENCH_CLIENTS live sockets (/live, signed in with a session cookie and the page's Origin, as
a browser does), then posts BENCH_EVENTS signed Twilio inbound webhooks one at a time. For each
text it records, on every socket, when the "message" event arrived, and reports percentiles of:
  - from the webhook's 200 response (as the issue asks; negative when the event beat the response)
  - from the moment the webhook was sent.
The next text is sent once every socket has heard of the previous one, so each arrival belongs to
exactly one text. All sockets are read by one asyncio loop in this process, so the figures include
the client's own time to read 200 sockets in turn.

Environment: BENCH_BASE_URL, BENCH_PUBLIC_URL (the URL the server signs for), BENCH_AUTH_TOKEN,
BENCH_ACCOUNT_SID, BENCH_TO, BENCH_EMAIL, BENCH_PASSWORD, BENCH_CLIENTS (200), BENCH_EVENTS (100).
Needs `websockets` (PyPI)."""
import asyncio
import base64
import hashlib
import hmac
import http.client
import os
import re
import secrets
import statistics
import sys
import time
import urllib.parse

from websockets.asyncio.client import connect

BASE = os.environ["BENCH_BASE_URL"].rstrip("/")
PUBLIC = os.environ.get("BENCH_PUBLIC_URL", BASE).rstrip("/")
TOKEN = os.environ["BENCH_AUTH_TOKEN"]
ACCOUNT = os.environ["BENCH_ACCOUNT_SID"]
TO = os.environ["BENCH_TO"]
EMAIL = os.environ.get("BENCH_EMAIL", "admin@northside.example")
PASSWORD = os.environ.get("BENCH_PASSWORD", "fieldline-demo")
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "200"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "100"))
HOST = urllib.parse.urlsplit(BASE)


def session_cookie():
    connection = http.client.HTTPConnection(HOST.hostname, HOST.port)
    # The sign-in form's token pairs with a cookie the page sets, as in a browser.
    connection.request("GET", "/signin")
    page = connection.getresponse()
    html = page.read().decode()
    form_cookie = (page.getheader("Set-Cookie") or "").split(";")[0]
    csrf = re.search(r'name="_csrf" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"_csrf": csrf, "email": EMAIL, "password": PASSWORD})
    connection.request("POST", "/signin", body,
                       {"Content-Type": "application/x-www-form-urlencoded", "Cookie": form_cookie})
    response = connection.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie")
    if response.status != 303 or not cookie:
        sys.exit(f"sign-in failed: {response.status}")
    return cookie.split(";")[0]


def post_webhook(connection, index):
    sid = "SMfan" + secrets.token_hex(14)
    params = [
        ("AccountSid", ACCOUNT), ("ApiVersion", "2010-04-01"), ("Body", f"Fan-out check {index}"),
        ("From", "+1737555%04d" % (index % 10000)), ("MessageSid", sid), ("NumMedia", "0"),
        ("NumSegments", "1"), ("SmsSid", sid), ("SmsStatus", "received"), ("To", TO),
    ]
    url = PUBLIC + "/webhooks/twilio/messages"
    signed = url + "".join(name + value for name, value in sorted(params))
    signature = base64.b64encode(hmac.new(TOKEN.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    sent = time.perf_counter()
    connection.request(
        "POST", "/webhooks/twilio/messages", urllib.parse.urlencode(params),
        {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    response = connection.getresponse()
    response.read()
    accepted = time.perf_counter()
    if response.status != 200:
        sys.exit(f"webhook answered {response.status}")
    return sent, accepted


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def main():
    cookie = session_cookie()
    ws_url = BASE.replace("http", "ws", 1) + "/live"
    current = {"round": -1}
    arrivals = {}  # round -> list of arrival times
    ready = asyncio.Event()
    connected = 0

    async def client():
        nonlocal connected
        async with connect(ws_url, origin=BASE, additional_headers={"Cookie": cookie}, max_queue=None) as socket:
            connected += 1
            if connected == CLIENTS:
                ready.set()
            async for raw in socket:
                now = time.perf_counter()
                # Only text events are counted; the rest (hello, unread counts) are skipped cheaply.
                if '"type":"message"' in raw:
                    arrivals.setdefault(current["round"], []).append(now)

    tasks = [asyncio.create_task(client()) for _ in range(CLIENTS)]
    await asyncio.wait_for(ready.wait(), 60)
    connection = http.client.HTTPConnection(HOST.hostname, HOST.port)
    from_ok, from_sent, missing = [], [], 0
    for index in range(EVENTS):
        current["round"] = index
        sent, accepted = await asyncio.to_thread(post_webhook, connection, index)
        deadline = time.perf_counter() + 5
        while len(arrivals.get(index, [])) < CLIENTS and time.perf_counter() < deadline:
            await asyncio.sleep(0.001)
        heard = arrivals.get(index, [])
        missing += CLIENTS - len(heard)
        from_ok += [(t - accepted) * 1000 for t in heard]
        from_sent += [(t - sent) * 1000 for t in heard]
    for task in tasks:
        task.cancel()
    print(f"| sockets | texts | deliveries | missed | from the 200: p50 | p99 | max | from sending: p50 | p99 |")
    print(f"| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {CLIENTS} | {EVENTS} | {len(from_ok)} | {missing} "
        f"| {statistics.median(from_ok):.1f} ms | {percentile(from_ok, 0.99):.1f} ms | {max(from_ok):.1f} ms "
        f"| {statistics.median(from_sent):.1f} ms | {percentile(from_sent, 0.99):.1f} ms |")


asyncio.run(main())
