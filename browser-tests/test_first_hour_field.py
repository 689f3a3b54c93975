"""A dispatcher's and a technician's first hour, outside the inbox (issue 17): notes on the
technician's phone, finishing a visit on purpose, assigning from Today, double bookings, the
tracking page's way back to the business, refusals in words, and a refused form keeping its
typing. Each test makes its own records through the API, with realistic names and addresses."""
import random
import uuid
from datetime import datetime, timedelta, timezone

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from api import API, book_and_dispatch, unique_phone
from test_inbox_live import DISPATCHER, sign_in_as

WAIT = 10
TECHNICIAN = "luis@northside.example"


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def customer_with_notes(api, name, location_notes, customer_notes):
    return api.call("POST", "/customers", {
        "name": name, "notes": customer_notes,
        "location": {"street": f"{random.randint(100, 9999)} Birchwood Ln Apt 2B", "city": "Austin", "state": "TX",
                     "postalCode": "78704", "notes": location_notes},
        "phones": [{"number": unique_phone(), "kind": "mobile"}]})


def technician_id(api, name):
    return next(t["id"] for t in api.call("GET", "/technicians")["items"] if t["name"] == name)


def book(api, customer, start, hours=2, technicians=()):
    return api.call("POST", "/jobs", {
        "customerId": customer["id"], "locationId": customer["locations"][0]["id"],
        "summary": "No hot water — " + uuid.uuid4().hex[:4], "startsAt": iso(start),
        "endsAt": iso(start + timedelta(hours=hours)), "technicianIds": list(technicians)})


def later_today(hours):
    """A start `hours` from now that stays on today's date where possible (the demo works in UTC-6)."""
    return datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)


def test_the_technician_sees_the_access_notes_and_completing_asks_first(base_url, new_browser):
    api = API(base_url)
    name = f"Nguyễn Thị Mai {uuid.uuid4().hex[:4]}"
    customer = customer_with_notes(
        api, name, "Dog in the backyard — use the side gate. Gate code 4411.", "Prefers a text to a call 👍")
    detail = book(api, customer, later_today(1), technicians=[technician_id(api, "Luis Romero")])
    job, assignment = detail["job"], detail["appointments"][0]["assignments"][0]
    api.call("POST", f"/assignments/{assignment['id']}/dispatch")

    phone = new_browser(390, 844)
    sign_in_as(phone, base_url, TECHNICIAN)
    phone.get(f"{base_url}/field/jobs/{job['id']}")
    notes = phone.find_element(By.CSS_SELECTOR, ".field-notes").text
    assert "Gate code 4411" in notes and "Prefers a text to a call 👍" in notes

    # Mark arrived, then tap again where that button was: nothing is finished without a yes.
    arrived = phone.find_element(By.XPATH, "//button[normalize-space()='Mark arrived']")
    spot = arrived.location
    arrived.click()
    # The page reloads after the post: look the badge up afresh until it says Working.
    WebDriverWait(phone, WAIT, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: "Working" in d.find_element(By.CSS_SELECTOR, ".field-job-top").text)
    under_finger = phone.execute_script(
        "const [x, y] = arguments; return document.elementFromPoint(x, y)?.closest('form')?.action ?? ''",
        spot["x"] + 20, spot["y"] + 10 - phone.execute_script("return window.scrollY"))
    assert not under_finger.endswith("/complete"), "Complete sits exactly where Mark arrived was"
    complete = phone.find_element(By.XPATH, "//button[normalize-space()='Complete visit']")
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", complete)
    complete.click()
    WebDriverWait(phone, WAIT).until(expected_conditions.alert_is_present())
    assert "Mark this visit done?" in phone.switch_to.alert.text
    phone.switch_to.alert.dismiss()
    phone.get(f"{base_url}/field/jobs/{job['id']}")
    assert "Working" in phone.find_element(By.CSS_SELECTOR, ".field-job-top").text
    phone.find_element(By.XPATH, "//button[normalize-space()='Complete visit']").click()
    WebDriverWait(phone, WAIT).until(expected_conditions.alert_is_present())
    phone.switch_to.alert.accept()
    WebDriverWait(phone, WAIT, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: "Done" in d.find_element(By.CSS_SELECTOR, ".field-job-top").text)


def test_today_assigns_an_unassigned_visit_and_flags_a_double_booking(base_url, new_browser):
    api = API(base_url)
    customer = customer_with_notes(api, f"José Núñez-O'Brien {uuid.uuid4().hex[:4]}", None, None)
    # Late in the demo's day, so both visits land on today's schedule wherever the clock is.
    start = later_today(1)
    busy = book(api, customer, start, technicians=[technician_id(api, "Kenji Watanabe")])
    free = book(api, customer, start + timedelta(minutes=30))
    day = (start - timedelta(hours=6)).strftime("%Y-%m-%d")  # the demo account's zone is Chicago

    office = new_browser(1440, 900)
    sign_in_as(office, base_url, DISPATCHER)
    office.get(f"{base_url}/today?date={day}")
    appointment = free["appointments"][0]["id"]
    form = office.find_element(By.CSS_SELECTOR, f"form[action='/appointments/{appointment}/assign']")
    Select(form.find_element(By.NAME, "technicianId")).select_by_visible_text("Kenji Watanabe")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(office, WAIT).until(lambda d: "/today" in d.current_url)
    flash = office.find_element(By.CSS_SELECTOR, ".flash").text
    assert "double-booked" in flash and f"#{busy['job']['number']}" in flash, flash
    flagged = [e.text for e in office.find_elements(By.CSS_SELECTOR, ".double-booked")]
    assert any(f"#{free['job']['number']}" in text for text in flagged), flagged
    assert any(f"#{busy['job']['number']}" in text for text in flagged), flagged
    office.get(f"{base_url}/jobs/{busy['job']['id']}")
    assert "Double-booked" in office.find_element(By.CSS_SELECTOR, ".double-booked").text


def test_the_tracking_page_calls_and_texts_the_business(base_url, new_browser):
    api = API(base_url)
    _, _, link = book_and_dispatch(api, "Aisha Grant", True, f"Zoë Ångström {uuid.uuid4().hex[:4]}")
    customer = new_browser(390, 844)
    customer.get(link)
    links = {a.text: a.get_attribute("href") for a in customer.find_elements(By.CSS_SELECTOR, ".track-contact a")}
    assert any(text.startswith("Call (") and href.startswith("tel:+1") for text, href in links.items()), links
    assert any(text.startswith("Text (") and href.startswith("sms:+1") for text, href in links.items()), links
    assert "directly" not in customer.find_element(By.CSS_SELECTOR, ".track-footer").text


def test_a_refused_page_says_what_the_role_cannot_do(base_url, new_browser):
    phone = new_browser(390, 844)
    sign_in_as(phone, base_url, TECHNICIAN)
    phone.get(base_url + "/settings")
    text = phone.find_element(By.TAG_NAME, "main").text
    assert "Your role cannot change the business's settings" in text
    assert "manage_account" not in text and "_" not in text


def test_a_refused_form_keeps_what_was_typed(base_url, new_browser):
    office = new_browser(1440, 900)
    sign_in_as(office, base_url)
    office.get(base_url + "/settings")
    office.find_element(By.XPATH, "//summary[normalize-space()='Add a person']").click()
    name = "José Núñez-O'Brien"
    office.find_element(By.ID, "u-name").send_keys(name)
    # A browser lets this through; Fieldline does not (no dot in the domain).
    office.find_element(By.ID, "u-email").send_keys("jose@northside")
    office.find_element(By.ID, "u-phone").send_keys("(512) 555-7788")
    office.find_element(By.ID, "u-password").send_keys("a long passphrase here")
    office.find_element(By.XPATH, "//button[normalize-space()='Add person']").click()
    WebDriverWait(office, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash-error"))
    assert office.find_element(By.ID, "u-name").get_attribute("value") == name
    assert office.find_element(By.ID, "u-email").get_attribute("value") == "jose@northside"
    assert office.find_element(By.ID, "u-phone").get_attribute("value") == "(512) 555-7788"
    assert office.find_element(By.ID, "u-password").get_attribute("value") == ""
    assert office.find_element(By.ID, "u-name").is_displayed(), "the form should be open again"


def test_the_registration_rows_on_settings_have_side_padding(base_url, new_browser):
    """Issue 17.10: the Texting registration card's rows sat flush against the card's edges."""
    for width, height in ((390, 844), (1440, 900)):
        office = new_browser(width, height)
        sign_in_as(office, base_url)
        office.get(base_url + "/settings#registration")
        gaps = office.execute_script(
            """
            const card = document.getElementById('registration').getBoundingClientRect();
            return [...document.querySelectorAll('#registration li.list-item')].map((li) => {
              const label = li.firstElementChild.getBoundingClientRect();
              const badge = li.lastElementChild.getBoundingClientRect();
              return [label.left - card.left, card.right - badge.right];
            });
            """)
        assert gaps, "the registration card lists nothing"
        for left, right in gaps:
            assert left >= 12 and right >= 12, f"at {width} px the row's text is {left:.0f}/{right:.0f} px from the edges"
