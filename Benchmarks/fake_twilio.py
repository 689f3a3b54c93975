#!/usr/bin/env python3
"""A minimal Twilio stand-in for the outbox benchmark: accepts Messages.json sends with HTTP Basic
auth (201 with a sid, as Twilio answers), lists nothing for reconciling, and records when each
text arrived per sending number. GET /stats returns {"from": [epoch seconds, ...]}.

    python3 Benchmarks/fake_twilio.py PORT ACCOUNT_SID AUTH_TOKEN
"""
import base64
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PORT, ACCOUNT, TOKEN = int(sys.argv[1]), sys.argv[2], sys.argv[3]
EXPECTED_AUTH = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
LOCK = threading.Lock()
SENDS = {}


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
        with LOCK:
            SENDS.setdefault(sender, []).append(time.time())
        self.reply(201, {"sid": "SM" + uuid.uuid4().hex, "status": "queued", "from": sender,
                         "to": form.get("To", ["?"])[0]})

    def do_GET(self):
        if self.path.startswith("/stats"):
            with LOCK:
                return self.reply(200, SENDS)
        self.reply(200, {"messages": [], "next_page_uri": None})


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
