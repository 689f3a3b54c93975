"""A small client of Fieldline's JSON API for browser tests that need records set up first."""
import json
import random
import urllib.request
from datetime import datetime, timedelta, timezone


class API:
    def __init__(self, base_url, email="admin@northside.example", password="fieldline-demo"):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.token = None
        self.token = self.call("POST", "/auth/token", {"email": email, "password": password})["token"]

    def call(self, method, path, body=None):
        request = urllib.request.Request(self.base + path, method=method)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, data, timeout=10) as response:
            text = response.read().decode()
            return json.loads(text) if text else None


def unique_phone():
    return f"(512) 555-{random.randint(2000, 9999)}"


def book_and_dispatch(api, technician_name, verified, name):
    """A customer of our own (address verified or not), a job for the technician an hour from now,
    dispatched; returns the job id and the tracking link the on-the-way text carried."""
    location = {"street": "1100 Congress Ave", "city": "Austin", "state": "TX", "postalCode": "78701"}
    if verified:
        location.update({"verified": True, "latitude": 30.2747, "longitude": -97.7404})
    customer = api.call("POST", "/customers", {
        "name": name, "location": location, "phones": [{"number": unique_phone(), "kind": "mobile"}]})
    technician = next(t for t in api.call("GET", "/technicians")["items"] if t["name"] == technician_name)
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    detail = api.call("POST", "/jobs", {
        "customerId": customer["id"], "locationId": customer["locations"][0]["id"], "summary": "Tracking check",
        "startsAt": start.isoformat().replace("+00:00", "Z"),
        "endsAt": (start + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
        "technicianIds": [technician["id"]]})
    job = detail["job"]
    assignment = detail["appointments"][0]["assignments"][0]
    api.call("POST", f"/assignments/{assignment['id']}/dispatch")
    messages = api.call("GET", f"/jobs/{job['id']}/messages")["items"]
    notice = next(m for m in messages if m["author"].get("automation") == "dispatch_notice")
    link = notice["body"][notice["body"].index("http"):].split()[0]
    return job["id"], assignment["id"], link
