"""A dispatcher's first hour in the office inbox (issue 17): the inbox on a phone and a portrait
tablet, live refreshes that leave what a person is typing or looking at alone, replies that run
over 160 characters without losing a letter, banners that leave Send on screen, the open
conversation staying put in the list, whole phone numbers, and the opt-out notice going away when
the customer texts START. Customers are played through the demo's phone simulator."""
import random
import time
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from api import API
from test_inbox_live import (
    item_with, list_items, position_of, sign_in_as, text_in, thread_text, unread_badge, wait_until,
)

WAIT = 10
TECHNICIAN = "luis@northside.example"
# A realistic over-long reply: 195 characters (pasted from notes, as people do).
LONG_REPLY = (
    "Hi Mrs. Alvarez, this is Northside Plumbing. Luis can come tomorrow between 8 and 10 AM to look "
    "at the water heater; please leave the side gate open and keep the dog inside. Reply YES to confirm."
)
assert len(LONG_REPLY) == 195


def unique_e164():
    return "+1512555" + str(random.randint(2000, 9999))


def no_sideways_scroll(driver):
    return driver.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def rect(driver, selector):
    return driver.execute_script(
        """
        const el = document.querySelector(arguments[0]);
        if (!el) return null;
        const r = el.getBoundingClientRect(), style = getComputedStyle(el);
        return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height,
                 shown: r.width > 0 && r.height > 0 && style.visibility !== 'hidden' };
        """,
        selector,
    )


def shown(driver, selector):
    box = rect(driver, selector)
    return bool(box and box["shown"])


def insert_text(driver, element, text):
    """Types `text` the way a paste or an emoji keyboard does: one input event with all of it
    (ChromeDriver cannot send characters outside the BMP, like 👍, as key presses)."""
    driver.execute_script("arguments[0].focus(); document.execCommand('insertText', false, arguments[1]);",
                          element, text)


def unknown_conversation(driver, base_url, body=None):
    """A new number texts in; returns its conversation id and E.164 number (the list is open)."""
    phone = unique_e164()
    body = body or f"Hi, my kitchen sink is leaking under the cabinet {uuid.uuid4().hex[:6]}"
    driver.get(base_url + "/inbox")
    text_in(driver, phone, body)
    wait_until(driver, lambda d: item_with(d, body) is not None, "the text never reached the list")
    return item_with(driver, body)["id"], phone, body


def open_conversation(driver, base_url, conversation, text):
    driver.get(f"{base_url}/inbox?c={conversation}")
    wait_until(driver, lambda d: text in thread_text(d), "the thread did not open")
    time.sleep(0.6)  # the socket's catch-up refresh has come and gone


def displayed_phone(e164):
    digits = e164[-10:]
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


# 3. The office inbox on a phone and a portrait tablet ------------------------------------------

@pytest.mark.parametrize("width,height", [(390, 844), (700, 900), (768, 1024), (800, 900)])
def test_the_inbox_is_a_list_then_a_thread_then_back_below_the_breakpoint(new_browser, base_url, width, height):
    driver = new_browser(width, height)
    sign_in_as(driver, base_url)
    conversation, phone, body = unknown_conversation(driver, base_url)

    # The list alone, full width; no "Pick a conversation" squeezed next to or under it.
    driver.get(base_url + "/inbox")
    viewport = driver.execute_script("return document.documentElement.clientWidth")
    pane = rect(driver, ".inbox-list-pane")
    assert pane["width"] >= viewport - 2, f"the list is {pane['width']} px wide in a {viewport} px window"
    assert not shown(driver, ".inbox-empty"), "'Pick a conversation' shows below the list"
    assert no_sideways_scroll(driver)

    # The thread alone, with a visible way back and the whole number in the header.
    driver.find_element(By.CSS_SELECTOR, f"li[data-conversation-id='{conversation}'] a").click()
    wait_until(driver, lambda d: body in thread_text(d), "the thread did not open")
    assert not shown(driver, ".inbox-list-pane"), "the list still takes room beside the thread"
    back = driver.find_element(By.CSS_SELECTOR, ".inbox-back")
    assert back.is_displayed() and "Conversations" in back.text, back.text
    title = driver.find_element(By.CSS_SELECTOR, ".inbox-header-title")
    assert title.is_displayed() and displayed_phone(phone) in title.text, title.text
    lines = driver.execute_script(
        """
        const name = document.querySelector('.inbox-header-name');
        const range = document.createRange(); range.selectNodeContents(name);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        """)
    assert lines == 1, f"the number wraps over {lines} lines"
    header, thread = rect(driver, ".inbox-header"), rect(driver, "#thread")
    assert header["bottom"] <= thread["top"] + 1, "the header overlaps the messages"
    send = rect(driver, "form[data-composer] button[type=submit]")
    inner = driver.execute_script("return window.innerHeight")
    assert send["shown"] and send["bottom"] <= inner, "Send is below the bottom of the screen"
    assert no_sideways_scroll(driver)

    # The customer panel is a tap away, and tapping back returns to the conversation.
    assert not shown(driver, ".inbox-panel-pane [data-part=panel]")
    driver.find_element(By.CSS_SELECTOR, ".inbox-header [data-panel-toggle]").click()
    wait_until(driver, lambda d: shown(d, "input[name=attach]"), "the customer panel did not open")
    panel = rect(driver, ".inbox-panel-pane")
    assert panel["left"] >= -1 and panel["right"] <= viewport + 1
    assert no_sideways_scroll(driver)
    driver.find_element(By.CSS_SELECTOR, ".inbox-panel-pane [data-panel-toggle]").click()
    wait_until(driver, lambda d: not shown(d, "input[name=attach]"), "the customer panel did not close")

    back.click()
    wait_until(driver, lambda d: shown(d, ".inbox-list-pane") and "c=" not in d.current_url, "back to the list")
    assert no_sideways_scroll(driver)


def test_the_desktop_inbox_keeps_its_three_columns(new_browser, base_url):
    driver = new_browser(1440, 900)
    sign_in_as(driver, base_url)
    conversation, _, body = unknown_conversation(driver, base_url)
    open_conversation(driver, base_url, conversation, body)
    for selector in (".inbox-list-pane", "#thread", ".inbox-panel-pane [data-part=panel]"):
        assert shown(driver, selector), selector
    assert not shown(driver, ".inbox-back") and not shown(driver, ".inbox-header [data-panel-toggle]")
    assert no_sideways_scroll(driver)


# 4. Live refreshes leave what a person is doing alone -------------------------------------------

def test_a_live_refresh_keeps_the_unknown_panels_customer_search_and_its_results(new_browser, base_url):
    driver = new_browser(1440, 900)
    sign_in_as(driver, base_url)
    conversation, phone, body = unknown_conversation(driver, base_url)
    open_conversation(driver, base_url, conversation, body)

    search = driver.find_element(By.CSS_SELECTOR, "input[name=attach]")
    search.send_keys("Linda")
    search.send_keys(Keys.ENTER)
    wait_until(driver, lambda d: "Linda Park" in d.find_element(By.CSS_SELECTOR, "[data-part=panel]").text,
               "the search found nobody")
    time.sleep(1.5)  # the catch-up refresh after the page load
    panel = driver.find_element(By.CSS_SELECTOR, "[data-part=panel]")
    assert "Linda Park" in panel.text, "a live refresh cleared the search results"
    assert driver.find_element(By.CSS_SELECTOR, "input[name=attach]").get_attribute("value") == "Linda"

    # The customer texts again: the thread shows it, the results stay.
    again = "Also the garbage disposal hums " + uuid.uuid4().hex[:6]
    text_in(driver, phone, again)
    wait_until(driver, lambda d: again in thread_text(d), "the new text did not arrive")
    time.sleep(0.5)
    assert "Linda Park" in driver.find_element(By.CSS_SELECTOR, "[data-part=panel]").text
    assert "Add here" in driver.find_element(By.CSS_SELECTOR, "[data-part=panel]").text


def test_typing_and_open_menus_survive_live_events(new_browser, base_url):
    driver = new_browser(1440, 900)
    sign_in_as(driver, base_url)
    conversation, phone, body = unknown_conversation(driver, base_url)
    open_conversation(driver, base_url, conversation, body)

    def event_arrives(same_conversation=True):
        """A text in this conversation (shown live) and one from someone else (the list changes)."""
        other = "Do you service tankless heaters? " + uuid.uuid4().hex[:6]
        text_in(driver, unique_e164(), other)
        wait_until(driver, lambda d: item_with(d, other) is not None, "the other text did not arrive")
        if same_conversation:
            mine = "One more thing: the shutoff valve is stuck " + uuid.uuid4().hex[:6]
            text_in(driver, phone, mine)
            wait_until(driver, lambda d: mine in thread_text(d), "the text did not arrive in the thread")
        time.sleep(0.4)

    def caret(driver):
        return driver.execute_script(
            "const a = document.activeElement; return [a.id || a.name, a.selectionStart, a.value.length]")

    # The composer: words, accents, emoji and a paste, with texts arriving in between.
    composer = driver.find_element(By.ID, "composer-body")
    composer.click()
    composer.send_keys("Hola José Núñez, ")
    event_arrives()
    composer.send_keys("we can come Thursday ")
    insert_text(driver, composer, "👍 ")
    event_arrives()
    composer.send_keys("at 9.")
    expected = "Hola José Núñez, we can come Thursday 👍 at 9."
    assert composer.get_attribute("value") == expected
    name, start, length = caret(driver)
    assert name == "composer-body" and start == length, "the cursor left the end of the reply"

    # The panel's customer search, while texts keep coming.
    search = driver.find_element(By.CSS_SELECTOR, "input[name=attach]")
    search.click()
    search.send_keys("José Nú")
    event_arrives()
    search.send_keys("ñez")
    event_arrives(same_conversation=False)
    assert driver.find_element(By.CSS_SELECTOR, "input[name=attach]").get_attribute("value") == "José Núñez"
    assert caret(driver)[0] == "attach", "the search box lost focus"

    # A half-filled form left for a moment (focus elsewhere) is not wiped either.
    name_box = driver.find_element(By.ID, "nc-name")
    name_box.send_keys("María-José Núñez Ortega")
    driver.find_element(By.ID, "nc-city").send_keys("San Marcos")
    driver.find_element(By.ID, "thread").click()
    event_arrives()
    assert driver.find_element(By.ID, "nc-name").get_attribute("value") == "María-José Núñez Ortega"
    assert driver.find_element(By.ID, "nc-city").get_attribute("value") == "San Marcos"

    # An open "More" menu stays open.
    driver.find_element(By.CSS_SELECTOR, ".inbox-header details.menu > summary").click()
    event_arrives()
    assert driver.execute_script("return document.querySelector('.inbox-header details.menu').open"), \
        "a live refresh closed the menu"
    assert driver.find_element(By.XPATH, "//button[normalize-space()='Block as spam']").is_displayed()

    # Through it all the reply was kept.
    assert driver.find_element(By.ID, "composer-body").get_attribute("value") == expected


# 5. Replies over 160 characters ------------------------------------------------------------------

def assert_over_limit(driver, box, count_id, send, over):
    assert len(box.get_attribute("value")) == 160 + over
    count = driver.find_element(By.ID, count_id)
    assert f"{over} characters over the 160 limit" in count.text, count.text
    assert "sms-count-over" in count.get_attribute("class")
    color = driver.execute_script("return getComputedStyle(arguments[0]).color", count)
    assert color.startswith("rgb(") and int(color[4:].split(",")[0]) > 150, f"not red: {color}"
    assert not send.is_enabled(), "Send stays enabled over the limit"


def test_a_reply_over_160_characters_is_kept_and_send_waits(new_browser, base_url):
    driver = new_browser(1440, 900)
    sign_in_as(driver, base_url)
    conversation, _, body = unknown_conversation(driver, base_url)
    open_conversation(driver, base_url, conversation, body)
    box = driver.find_element(By.ID, "composer-body")
    send = driver.find_element(By.CSS_SELECTOR, "form[data-composer] button[type=submit]")

    insert_text(driver, box, LONG_REPLY)  # pasted
    assert box.get_attribute("value") == LONG_REPLY, "the paste was dropped"
    assert_over_limit(driver, box, "composer-count", send, 35)
    box.send_keys(Keys.ENTER)
    time.sleep(0.8)
    assert LONG_REPLY[:40] not in thread_text(driver), "an over-long reply was sent"
    assert box.get_attribute("value") == LONG_REPLY

    # Typing on past the limit keeps every character.
    box.send_keys(" Thanks!")
    assert box.get_attribute("value") == LONG_REPLY + " Thanks!"
    # Shortened to fit, it goes.
    driver.execute_script("arguments[0].select()", box)
    insert_text(driver, box, LONG_REPLY[:150])
    assert send.is_enabled()
    assert "10 characters left" in driver.find_element(By.ID, "composer-count").text
    box.send_keys(Keys.ENTER)
    wait_until(driver, lambda d: LONG_REPLY[:150] in thread_text(d), "the shortened reply was not sent")


def test_the_technicians_reply_over_160_characters_is_kept(new_browser, base_url):
    phone = new_browser(390, 844)
    sign_in_as(phone, base_url, TECHNICIAN)
    card = phone.find_element(By.XPATH, "//a[contains(@class,'field-card')][contains(., 'Nora Whitaker')]")
    phone.get(card.get_attribute("href"))
    wait_until(phone, lambda d: d.find_elements(By.ID, "field-reply"), "the composer is there")
    box = phone.find_element(By.ID, "field-reply")
    send = phone.find_element(By.CSS_SELECTOR, "[data-field-composer] button[type=submit]")
    box.send_keys("On my way — ")
    insert_text(phone, box, LONG_REPLY[:155])
    over = len("On my way — ") + 155 - 160
    assert_over_limit(phone, box, "field-count", send, over)
    assert no_sideways_scroll(phone)


def test_every_text_box_with_the_limit_lets_text_run_over(new_browser, base_url):
    driver = new_browser(1280, 900)
    sign_in_as(driver, base_url)
    # Texting a stored number from a job or customer page.
    driver.get(base_url + "/inbox/compose?phone=" + unique_e164().replace("+", "%2B"))
    box = driver.find_element(By.ID, "start-body")
    insert_text(driver, box, LONG_REPLY)
    assert_over_limit(driver, box, "start-count", driver.find_element(By.XPATH, "//button[normalize-space()='Send text']"), 35)
    # The after-hours reply in Settings.
    driver.get(base_url + "/settings")
    box = driver.find_element(By.ID, "autoreplyText")
    assert box.get_attribute("maxlength") in (None, ""), "the after-hours reply still cuts at maxlength"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].select()", box)
    insert_text(driver, box, LONG_REPLY)
    assert box.get_attribute("value") == LONG_REPLY
    count = driver.find_element(By.ID, "autoreply-count")
    assert "35 characters over the 160 limit" in count.text, count.text


# 7. A confirmation banner leaves Send on screen -------------------------------------------------

def test_booking_a_job_from_a_chat_keeps_send_on_screen(new_browser, base_url):
    api = API(base_url)
    number = "(512) 555-" + str(random.randint(2000, 9999))
    api.call("POST", "/customers", {
        "name": f"Beatriz Olvera-Sánchez {uuid.uuid4().hex[:4]}",
        "location": {"street": "2204 Riverside Dr", "city": "Austin", "state": "TX", "postalCode": "78741"},
        "phones": [{"number": number, "kind": "mobile"}]})
    driver = new_browser(1440, 900)
    sign_in_as(driver, base_url)
    body = "Can someone look at the water heater this week? " + uuid.uuid4().hex[:6]
    driver.get(base_url + "/inbox")
    text_in(driver, "+1" + "".join(ch for ch in number if ch.isdigit()), body)
    wait_until(driver, lambda d: item_with(d, body) is not None, "the text never arrived")
    open_conversation(driver, base_url, item_with(driver, body)["id"], body)

    driver.find_element(By.CSS_SELECTOR, ".panel-book > summary").click()
    driver.find_element(By.ID, "bk-summary").send_keys("Water heater pilot keeps going out")
    driver.find_element(By.XPATH, "//button[normalize-space()='Book job']").click()
    wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".flash-success"), "no confirmation")
    time.sleep(0.5)
    send = rect(driver, "form[data-composer] button[type=submit]")
    inner = driver.execute_script("return window.innerHeight")
    assert send["bottom"] <= inner, f"Send is at {send['bottom']} px in a {inner} px window"
    assert driver.execute_script(
        "return document.documentElement.scrollHeight <= document.documentElement.clientHeight"), \
        "the inbox page scrolls under the banner"


# 8a. The open conversation stays where it was clicked --------------------------------------------

def test_opening_an_unread_conversation_keeps_it_under_the_pointer(new_browser, base_url):
    driver = new_browser(1440, 900)
    sign_in_as(driver, base_url)
    driver.get(base_url + "/inbox")
    tag = uuid.uuid4().hex[:6]
    bodies = [f"Toilet keeps running {tag}", f"No hot water since last night {tag}", f"Drip under the sink {tag}"]
    for body in bodies:
        text_in(driver, unique_e164(), body)
    wait_until(driver, lambda d: all(item_with(d, b) for b in bodies), "the texts did not arrive")
    time.sleep(0.5)
    # The second-newest of three unread: opening it makes it read, which sorts it below the unread.
    target = bodies[1]
    before = position_of(driver, target)
    item = item_with(driver, target)
    assert "conversation-unread" in item["classes"]
    driver.find_element(By.CSS_SELECTOR, f"li[data-conversation-id='{item['id']}'] a").click()
    wait_until(driver, lambda d: target in thread_text(d), "the thread did not open")
    time.sleep(0.8)
    assert position_of(driver, target) == before, "the opened conversation jumped in the list"
    # Another customer texts: the list refreshes, the open one still does not move.
    other = f"Sump pump alarm going off {tag}"
    text_in(driver, unique_e164(), other)
    wait_until(driver, lambda d: item_with(d, other) is not None, "the new text did not arrive")
    time.sleep(0.4)
    assert position_of(driver, target) == before, "a live refresh moved the open conversation"
    assert "is-selected" in item_with(driver, target)["classes"]


# 8c. Phone numbers show whole ---------------------------------------------------------------------

def test_an_unknown_number_shows_whole_in_the_list_and_the_header(new_browser, base_url):
    driver = new_browser(1440, 900)
    sign_in_as(driver, base_url)
    conversation, phone, body = unknown_conversation(driver, base_url)
    # Unread: bold, with the Unknown badge, the time and the dot all on the same line.
    name = driver.find_element(By.CSS_SELECTOR, f"li[data-conversation-id='{conversation}'] .conversation-name")
    assert name.text == displayed_phone(phone), name.text
    assert driver.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", name), \
        "the number is cut off in the list"
    open_conversation(driver, base_url, conversation, body)
    title = driver.find_element(By.CSS_SELECTOR, ".inbox-header-title")
    assert displayed_phone(phone) in title.text
    assert driver.execute_script(
        "const n = document.querySelector('.inbox-header-name'); return n.scrollWidth <= n.clientWidth")


# 8d. START brings the composer back live ----------------------------------------------------------

def test_the_opt_out_notice_goes_away_live_when_the_customer_texts_start(new_browser, base_url):
    driver = new_browser(1440, 900)
    sign_in_as(driver, base_url)
    conversation, phone, body = unknown_conversation(driver, base_url)
    open_conversation(driver, base_url, conversation, body)
    text_in(driver, phone, "STOP")
    wait_until(driver, lambda d: shown(d, ".composer-off") and not shown(d, "#composer-body"),
               "the opt-out notice did not replace the composer")
    assert "opted out" in driver.find_element(By.CSS_SELECTOR, ".composer-off").text
    text_in(driver, phone, "START")
    wait_until(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".composer-off") and shown(d, "#composer-body"),
               "the opt-out notice stayed after START")
    reply = "Welcome back, José — we have you down for Thursday 👍"
    box = driver.find_element(By.ID, "composer-body")
    insert_text(driver, box, reply)
    box.send_keys(Keys.ENTER)
    wait_until(driver, lambda d: "Welcome back, José" in thread_text(d), "the reply after START was not sent")


# 4, on Today: the team texts board merges new texts in -----------------------------------------

def test_the_team_board_refresh_keeps_focus_and_a_selection(new_browser, base_url):
    driver = new_browser(1280, 900)
    sign_in_as(driver, base_url)
    driver.get(base_url + "/today")
    board = "[data-board-feed]"
    wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, board), "Today has no team texts board")
    time.sleep(0.6)
    aisha = "+15125550134"  # a technician's own phone: her texts go to the board, not the inbox

    def board_text(d):
        return d.find_element(By.CSS_SELECTOR, board).text

    first = f"Running 10 min late to the Medina job {uuid.uuid4().hex[:4]}"
    text_in(driver, aisha, first)
    wait_until(driver, lambda d: first in board_text(d), "the team text did not reach the board")
    time.sleep(0.4)

    # Someone keyboard-focused "See all" and is selecting the text to copy it.
    driver.execute_script("document.querySelector(arguments[0] + ' .card-header a').focus()", board)
    driver.execute_script(
        """
        const body = [...document.querySelectorAll(arguments[0] + ' .board-body')].find((el) => el.textContent.includes(arguments[1]));
        const range = document.createRange(); range.selectNodeContents(body);
        getSelection().removeAllRanges(); getSelection().addRange(range);
        """, board, first)
    second = f"Picked up the water heater parts {uuid.uuid4().hex[:4]}"
    text_in(driver, aisha, second)
    time.sleep(1.2)
    assert driver.execute_script("return getSelection().toString()").strip() == first, "the selection was wiped"
    assert driver.execute_script("return document.activeElement.closest(arguments[0] + ' .card-header') !== null",
                                 board), "the focused link lost focus"
    # Done selecting: the new text comes in.
    driver.execute_script("getSelection().removeAllRanges()")
    wait_until(driver, lambda d: second in board_text(d), "the board did not catch up after the selection")
    assert driver.execute_script("return document.activeElement.closest(arguments[0] + ' .card-header') !== null",
                                 board), "the focused link lost focus"


# 6. A text arriving in the conversation you are reading is read -----------------------------

def test_a_text_arriving_in_the_open_conversation_is_read_for_everyone(new_browser, base_url):
    dana = new_browser(1440, 900)
    marcus = new_browser(1440, 900)
    sign_in_as(dana, base_url)
    sign_in_as(marcus, base_url, "dispatch@northside.example")
    conversation, phone, body = unknown_conversation(dana, base_url)
    open_conversation(dana, base_url, conversation, body)
    marcus.get(base_url + "/inbox")
    time.sleep(0.6)
    before = unread_badge(marcus)
    follow_up = f"Also the disposal hums but won't turn — José {uuid.uuid4().hex[:4]}"
    text_in(dana, phone, follow_up)
    wait_until(dana, lambda d: follow_up in thread_text(d), "the text did not reach the open thread")

    def read_in(driver):
        item = item_with(driver, follow_up)
        return item is not None and "conversation-unread" not in item["classes"]

    # Read where it is being read: not bold, no dot, not counted — for Dana and for Marcus, live.
    for driver in (dana, marcus):
        wait_until(driver, read_in, "the open conversation's new text stayed unread")
    wait_until(marcus, lambda d: unread_badge(d) == before, "the unread count still includes it")
    assert not dana.title.startswith(f"({before + 1})")
