"""Every page an office user (admin or dispatcher) and a technician sees, at the widths we check.

Shared by take_screenshots.py (docs/screenshots/<page>-<width>.png) and test_no_sideways_scroll.py,
so a page added here is both pictured and checked for sideways scrolling. Paths may hold
{placeholders}, filled from records of the demo seed found through the API (`demo_records`)."""
from api import API

WIDTHS = (390, 768, 1440)
HEIGHTS = {390: 844, 768: 1024, 1440: 900}

TECHNICIAN = "luis@northside.example"

# (name, path, who): who is "office" (the demo admin) or "technician" (Luis).
OFFICE_PAGES = [
    ("today", "/today"),
    ("inbox", "/inbox"),
    ("inbox-conversation", "/inbox?c={conversation}"),
    ("customers", "/customers"),
    ("customer", "/customers/{customer}"),
    ("customer-new", "/customers/new"),
    ("customer-import", "/customers/import"),
    ("jobs", "/jobs"),
    ("job", "/jobs/{job}"),
    ("job-new", "/jobs/new?customer={customer}"),
    ("bookings", "/bookings"),
    ("technicians", "/technicians"),
    ("settings", "/settings"),
    ("settings-notices", "/settings/notifications"),
    ("settings-registration", "/settings/registration"),
    ("settings-servicechannel", "/settings/servicechannel"),
    ("settings-audit-log", "/settings/audit-log"),
    ("campaigns", "/campaigns"),
    ("campaign", "/campaigns/{campaign}"),
    ("campaign-new", "/campaigns/new"),
    ("automatic-texts", "/campaigns/automatic"),
    ("simulator", "/simulator"),
    ("dispatch-board", "/dispatch-board"),
    ("account-password", "/account/password"),
]
TECHNICIAN_PAGES = [
    ("field", "/field"),
    ("field-job", "/field/jobs/{field_job}"),
    # The job's chat with the customer, scrolled to (the picture shows the thread, not the job's top).
    ("field-thread", "/field/jobs/{field_job}#chat"),
]
PAGES = [(name, path, "office") for name, path in OFFICE_PAGES] + [
    (name, path, "technician") for name, path in TECHNICIAN_PAGES]


def demo_records(base_url):
    """Ids for the {placeholders}: Robert Castellanos (a customer with jobs, texts, estimates), his
    conversation and his job; the first campaign; Luis's job for Nora Whitaker (a thread with texts)."""
    office = API(base_url)
    customers = office.call("GET", "/customers?limit=50")["items"]
    robert = next(c for c in customers if c["name"] == "Robert Castellanos")
    conversations = office.call("GET", "/conversations?limit=50")["items"]
    conversation = next(c for c in conversations if c.get("customerId") == robert["id"])
    jobs = office.call("GET", "/jobs?limit=50")["items"]
    job = conversation.get("jobId") or next(j["id"] for j in jobs if j.get("customerId") == robert["id"])
    campaign = office.call("GET", "/campaigns")["items"][0]["id"]
    mine = API(base_url, TECHNICIAN).call("GET", "/my/jobs")
    field_jobs = [j for key in ("today", "upcoming") for j in mine.get(key, [])]
    field_job = next((j for j in field_jobs if j["customerName"] == "Nora Whitaker"), field_jobs[0])["id"]
    return {"customer": robert["id"], "conversation": conversation["id"], "job": job,
            "campaign": campaign, "field_job": field_job}


def url_of(base_url, path, records):
    return base_url + path.format(**records)


class Visitor:
    """One browser at one width that signs in as whoever the next page needs, once per switch."""

    def __init__(self, driver, base_url):
        self.driver, self.base_url, self.who = driver, base_url, None

    def visit(self, path, who, records):
        from test_inbox_live import sign_in_as  # here, not at the top: pages.py stays importable alone

        if who != self.who:
            self.driver.delete_all_cookies()
            sign_in_as(self.driver, self.base_url, TECHNICIAN if who == "technician" else None)
            self.who = who
        self.driver.get(url_of(self.base_url, path, records))
        if "#" in path:
            self.driver.execute_script(
                "document.getElementById(arguments[0])?.scrollIntoView({block: 'start'})", path.split("#", 1)[1])


# What sticks out past the viewport's right edge: the page's own sideways scroll, and every visible
# element whose box ends right of the viewport, unless it is inside a box that scrolls or clips
# sideways and itself fits (a wide table in its own scroller is fine), or is only for screen readers.
# Only where an overflow starts is listed: an element sticking out whose parent does not.
OVERFLOW_SCRIPT = """
const root = document.documentElement;
const width = root.clientWidth;
const fits = (rect) => rect.right <= width + 0.5;
const clipped = (el) => {
  for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
    const x = getComputedStyle(box).overflowX;
    if (x !== 'visible' && fits(box.getBoundingClientRect())) return true;
  }
  return false;
};
const sticksOut = (el) => {
  if (el.closest('.sr-only, .skip-link, [hidden]')) return false;
  const style = getComputedStyle(el);
  if (style.display === 'none' || style.visibility !== 'visible') return false;
  const rect = el.getBoundingClientRect();
  if ((rect.width === 0 && rect.height === 0) || fits(rect)) return false;
  return !clipped(el);
};
const out = [...document.body.querySelectorAll('*')].filter(sticksOut);
const origins = out.filter((el) => !out.includes(el.parentElement));
return {
  scrollWidth: root.scrollWidth, clientWidth: width,
  elements: origins.map((el) => {
    const rect = el.getBoundingClientRect();
    return {tag: el.tagName.toLowerCase(), id: el.id, classes: el.className && el.className.baseVal === undefined
      ? el.className : (el.getAttribute('class') || ''), left: Math.round(rect.left), width: Math.round(rect.width),
      right: Math.round(rect.right), text: (el.innerText || el.textContent || '').trim().slice(0, 40)};
  }),
};
"""


def overflow(driver):
    """The page's scroll and client widths, and where it sticks out (see OVERFLOW_SCRIPT)."""
    return driver.execute_script(OVERFLOW_SCRIPT)


def describe(element):
    name = element["tag"] + (f"#{element['id']}" if element["id"] else "")
    name += "".join(f".{c}" for c in element["classes"].split())
    return f"{name} ({element['width']} px wide, {element['left']}..{element['right']}) {element['text']!r}"
