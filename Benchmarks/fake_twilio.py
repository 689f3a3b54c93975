#!/usr/bin/env python3
"""A Twilio stand-in for the benchmarks and the crash test: accepts Messages.json sends with HTTP
Basic auth (201 with a sid, as Twilio answers) and lists them back as Twilio's message list does
(filtered by To and From, newest first, `date_created` in RFC 2822), which is what Fieldline's
outbox reconciles against after a crash. It records when each text arrived per sending number.

    GET /stats  -> {"+1512…": [epoch seconds, …]}   (per sending number)
    GET /sent   -> [{"sid", "from", "to", "body", "created"}, …]   (every text, in order)
    GET …/IncomingPhoneNumbers.json?PhoneNumber=…  -> the account holds every number (proof of ownership)

    python3 Benchmarks/fake_twilio.py PORT ACCOUNT_SID AUTH_TOKEN
"""
import base64
import json
import sys
import threading
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PORT, ACCOUNT, TOKEN = int(sys.argv[1]), sys.argv[2], sys.argv[3]
EXPECTED_AUTH = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
LOCK = threading.Lock()
SENDS = {}
SENT = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        if self.headers.get("Authorization") != EXPECTED_AUTH:
            return self.reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        sender = form.get("From", ["?"])[0]
        record = {"sid": "SM" + uuid.uuid4().hex, "from": sender, "to": form.get("To", ["?"])[0],
                  "body": form.get("Body", [""])[0], "created": time.time()}
        with LOCK:
            SENDS.setdefault(sender, []).append(record["created"])
            SENT.append(record)
        self.reply(201, {"sid": record["sid"], "status": "queued", "from": sender, "to": record["to"]})

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/stats":
            with LOCK:
                return self.reply(200, SENDS)
        if url.path == "/sent":
            with LOCK:
                return self.reply(200, SENT)
        if self.headers.get("Authorization") != EXPECTED_AUTH:
            return self.reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        query = parse_qs(url.query)
        if url.path.endswith("/IncomingPhoneNumbers.json"):
            # As Twilio lists an account's numbers: this stand-in's account holds any number asked for.
            number = query.get("PhoneNumber", [None])[0]
            listed = [{"sid": "PN" + uuid.uuid4().hex, "phone_number": number}] if number else []
            return self.reply(200, {"incoming_phone_numbers": listed, "page": 0, "page_size": 50})
        to, sender = query.get("To", [None])[0], query.get("From", [None])[0]
        with LOCK:
            matches = [m for m in SENT if (to is None or m["to"] == to) and (sender is None or m["from"] == sender)]
        messages = [{"sid": m["sid"], "from": m["from"], "to": m["to"], "body": m["body"], "status": "delivered",
                     "date_created": formatdate(m["created"]).replace("-0000", "+0000")} for m in reversed(matches)]
        self.reply(200, {"messages": messages[:1000], "next_page_uri": None})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that vanished mid-request (the crash test kills the server) is not news.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


Server(("127.0.0.1", PORT), Handler).serve_forever()
