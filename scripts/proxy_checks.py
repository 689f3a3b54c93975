"""The checks scripts/deploy-test runs through nginx; see that script. Standard library only."""
import base64
import http.client
import json
import os
import re
import socket
import ssl
import sys

HTTP_PORT = int(os.environ["PROXY_HTTP_PORT"])
HTTPS_PORT = int(os.environ["PROXY_HTTPS_PORT"])
HOST = f"localhost:{HTTPS_PORT}"
CLIENT = "127.0.0.2"  # what nginx sees; Fieldline sees nginx at 127.0.0.1
FORGED = "203.0.113.9"
TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def https(method, path, body=None, headers=None):
    connection = http.client.HTTPSConnection("127.0.0.1", HTTPS_PORT, context=TLS, source_address=(CLIENT, 0), timeout=20)
    all_headers = {"Host": HOST, "X-Forwarded-For": FORGED}
    all_headers.update(headers or {})
    connection.request(method, path, body=body, headers=all_headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


# Plain HTTP goes to HTTPS.
plain = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=10)
plain.request("GET", "/health", headers={"Host": "localhost"})
answer = plain.getresponse()
check(answer.status == 301 and answer.getheader("Location", "").startswith("https://"), "HTTP redirects to HTTPS")

response, _ = https("GET", "/health")
check(response.status == 200, "GET /health through TLS")

# Sign in on the web: the cookie is Secure behind HTTPS.
response, page = https("GET", "/signin")
html = page.decode()
email = re.search(r'Sign in as <span class="mono">([^<]+)</span>', html).group(1)
password = re.search(r'with the password <span class="mono">([^<]+)</span>', html).group(1)
csrf = re.search(r'name="_csrf" value="([^"]+)"', html).group(1)
cookies = "; ".join(c.split(";")[0] for c in response.msg.get_all("Set-Cookie") or [])
form = f"_csrf={csrf}&email={email}&password={password}"
response, _ = https("POST", "/signin", form, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies})
session = [c for c in response.msg.get_all("Set-Cookie") or [] if c.startswith("fieldline_session=")]
check(response.status in (302, 303) and bool(session), "web sign-in through the proxy")
check(bool(session) and "Secure" in session[0], "the session cookie is Secure")
session_cookie = session[0].split(";")[0] if session else ""

# The live socket: the upgrade passes through nginx and the server says hello.
raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10, source_address=(CLIENT, 0))
tls = TLS.wrap_socket(raw, server_hostname="localhost")
key = base64.b64encode(os.urandom(16)).decode()
tls.sendall((
    f"GET /live HTTP/1.1\r\nHost: {HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: https://{HOST}\r\n"
    f"Cookie: {session_cookie}\r\n\r\n").encode())
received = b""
while b"hello" not in received and len(received) < 65536:
    chunk = tls.recv(4096)
    if not chunk:
        break
    received += chunk
tls.close()
check(received.startswith(b"HTTP/1.1 101"), "the WebSocket upgrade on /live passes through")
check(b'"type":"hello"' in received, "the live socket says hello through the proxy")

# A body over the limit is stopped by nginx.
response, _ = https("POST", "/api/v1/customers", b"x" * (3 * 1024 * 1024), {"Content-Type": "application/json"})
check(response.status == 413, f"a 3 MB body is refused with 413 (got {response.status})")

# The audit log records the client's address as nginx saw it, not the forged one.
response, body = https("POST", "/api/v1/auth/token", json.dumps({"email": email, "password": password}),
                       {"Content-Type": "application/json"})
token = json.loads(body)["token"]
response, body = https("GET", "/api/v1/audit-log?action=signed_in&limit=5", headers={"Authorization": f"Bearer {token}"})
addresses = [entry.get("address") for entry in json.loads(body)["items"]]
check(response.status == 200 and addresses[:2] == [CLIENT, CLIENT], f"the audit log has the client's address {CLIENT} ({addresses})")
check(FORGED not in addresses, "a forged X-Forwarded-For counts for nothing")

if failures:
    print(f"deploy test: {len(failures)} proxy checks failed")
    sys.exit(1)
print("deploy test: passed")
