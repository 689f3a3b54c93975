#!/usr/bin/env python3
"""A ServiceChannel stand-in for the sync benchmark, speaking the documented wire format: the OAuth2
token endpoint (password and refresh grants with Basic client credentials, one request per 5 s or
429 with `Error-Message`), `/v3/odata/workorders` filtered by `UpdatedDate ge`, ordered by
UpdatedDate, paged by `$top` (at most 50) and `$skip`, and a per-minute call budget answered with
429, the documented body and Retry-After. It holds COUNT Open work orders spread over 50
subscribers and records when every call came.

    GET /_stats -> {"calls", "tokenRequests", "tokenLimitViolations", "throttled", "busiestMinute",
                    "first", "last"}

    python3 Benchmarks/fake_servicechannel.py PORT CLIENT_ID CLIENT_SECRET USERNAME PASSWORD COUNT CALLS_PER_MINUTE
"""
import base64
import json
import re
import secrets
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

PORT, CLIENT, SECRET, USER, PASSWORD = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
COUNT, BUDGET = int(sys.argv[6]), int(sys.argv[7])
BASIC = "Basic " + base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()
LOCK = threading.Lock()
TOKENS, REFRESH = {}, set()
TOKEN_TIMES, CALL_TIMES = [], []
STATE = {"violations": 0, "throttled": 0}

NOW = datetime.now(timezone.utc).replace(microsecond=0)
TRADES = ["PLUMBING", "HVAC", "ELECTRICAL", "GLASS", "DOORS"]


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def work_order(index):
    subscriber = 2_014_900_000 + index % 50
    location = 1000 + index % 2000
    updated = NOW - timedelta(days=30) + timedelta(seconds=index * 97 % (29 * 86400))
    return {
        "Id": 90_000_000 + index, "Number": str(85_000_000 + index), "PurchaseNumber": f"PO-{index}",
        "Subscriber": {"Id": subscriber, "Name": f"Subscriber {index % 50:02d}"},
        "Location": {"Id": location, "StoreId": str(location), "Name": f"Store {location}",
                     "Address1": f"{100 + index % 900} Commerce St", "City": "Austin", "State": "TX", "Zip": "78701"},
        "Status": {"Primary": "Open", "Extended": None},
        "Priority": "P2 - 8 HOURS", "Trade": TRADES[index % len(TRADES)], "Category": "REPAIR",
        "Description": f"Work order {index}: please inspect and repair.", "Nte": 250.0 + index % 40 * 25,
        "Currency": {"AlphabeticalCode": "USD"}, "ScheduledDate": iso(NOW + timedelta(days=1 + index % 14)),
        "UpdatedDate": iso(updated), "CreatedDate": iso(updated - timedelta(hours=2)),
    }


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


KEYSET = re.compile(r"^UpdatedDate gt (\S+) or \(UpdatedDate eq (\S+) and Id gt (\d+)\)$")


def parse_filter(text):
    """`UpdatedDate ge T`, or the keyset form Fieldline pages with."""
    text = text.strip()
    if not text:
        return lambda updated, ident: True
    if text.startswith("UpdatedDate ge "):
        since = parse_time(text[len("UpdatedDate ge "):])
        return lambda updated, ident: updated >= since
    match = KEYSET.match(text)
    if not match:
        return None
    after, equal, last = parse_time(match.group(1)), parse_time(match.group(2)), int(match.group(3))
    return lambda updated, ident: updated > after or (updated == equal and ident > last)


ORDERS = sorted((work_order(i) for i in range(COUNT)), key=lambda o: (o["UpdatedDate"], o["Id"]))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; without this, a kept-alive connection waits out
    # the client's delayed ACK (about 40 ms) on every answer, and the stand-in sets the pace.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlparse(self.path).path != "/oauth/token":
            return self.reply(404, {"ErrorCode": "NotFound", "ErrorMessage": "No such endpoint."})
        if self.headers.get("Authorization") != BASIC:
            return self.reply(401, {"error": "invalid_client", "error_description": "Client credentials are invalid."})
        now = time.time()
        with LOCK:
            if TOKEN_TIMES and now - TOKEN_TIMES[-1] < 5:
                STATE["violations"] += 1
                return self.reply(429, {"error": "too_many_requests"},
                                  [("Error-Message", "Rejected by security reason: Login attempts limit exceed.")])
            TOKEN_TIMES.append(now)
            grant = form.get("grant_type")
            if grant == "refresh_token" and form.get("refresh_token") in REFRESH:
                REFRESH.discard(form["refresh_token"])
            elif grant != "password" or form.get("username") != USER or form.get("password") != PASSWORD:
                return self.reply(400, {"error": "invalid_grant",
                                        "error_description": "The user name or password is incorrect."})
            access, refresh = secrets.token_hex(24), secrets.token_hex(24)
            TOKENS[access] = now + 600
            REFRESH.add(refresh)
        self.reply(200, {"access_token": access, "token_type": "bearer", "expires_in": 600,
                         "refresh_token": refresh})

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/_stats":
            with LOCK:
                times = sorted(CALL_TIMES)
                busiest, start = 0, 0
                for end, moment in enumerate(times):
                    while moment - times[start] >= 60:
                        start += 1
                    busiest = max(busiest, end - start + 1)
                return self.reply(200, {"calls": len(times), "tokenRequests": len(TOKEN_TIMES),
                                        "tokenLimitViolations": STATE["violations"], "throttled": STATE["throttled"],
                                        "busiestMinute": busiest, "first": times[0] if times else None,
                                        "last": times[-1] if times else None})
        header = self.headers.get("Authorization", "")
        now = time.time()
        with LOCK:
            if not header.startswith("Bearer ") or TOKENS.get(header[7:], 0) < now:
                return self.reply(401, {"ErrorCode": "Unauthorized",
                                        "ErrorMessage": "Authorization has been denied for this request."})
            recent = [t for t in CALL_TIMES if now - t < 60]
            if len(recent) >= BUDGET:
                STATE["throttled"] += 1
                wait = max(1, int(60 - (now - min(recent)) + 0.999))
                return self.reply(429, {"Reason": "Request has been throttled. Your current Application limit is "
                                                  f"[{BUDGET}] per [1] minute"}, [("Retry-After", str(wait))])
            CALL_TIMES.append(now)
        if url.path != "/v3/odata/workorders":
            return self.reply(404, {"ErrorCode": "NotFound", "ErrorMessage": "No such endpoint."})
        query = {}
        for pair in url.query.split("&"):
            if "=" in pair:
                name, value = pair.split("=", 1)
                query[unquote(name)] = unquote(value.replace("+", " "))
        keep = parse_filter(query.get("$filter", ""))
        if keep is None:
            return self.reply(400, {"ErrorCode": "InvalidFilter", "ErrorMessage": "Unsupported $filter."})
        top, skip = min(int(query.get("$top", "50")), 50), int(query.get("$skip", "0"))
        matching = [o for o in ORDERS if keep(parse_time(o["UpdatedDate"]), o["Id"])]
        self.reply(200, {"@odata.context": "https://api.servicechannel.com/v3/odata/$metadata#workorders",
                         "value": matching[skip:skip + top]})


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
