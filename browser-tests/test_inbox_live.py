"""The office inbox, live, with two dispatchers signed in from separate browsers (CH2-CH5, CH15).

Customers are played through the demo's phone simulator, the way a new user tries Fieldline out:
each text goes through the same inbound pipeline a Twilio webhook feeds."""
import random
import re
import uuid

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

DISPATCHER = "dispatch@northside.example"
WAIT = 10


def sign_in_as(driver, base_url, email=None):
    """Signs in with the demo password printed on the sign-in page; the admin when `email` is None."""
    driver.get(base_url + "/signin")
    hint = driver.find_element(By.CSS_SELECTOR, ".flash-info").text
    password = re.search(r"password (\S+)\.", hint).group(1)
    email = email or re.search(r"as (\S+@\S+) with", hint).group(1)
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, WAIT).until(lambda d: "/signin" not in d.current_url)


@pytest.fixture
def office(base_url, new_browser):
    """Two signed-in office users in separate browsers: Dana (admin) and Marcus (dispatcher)."""
    dana = new_browser()
    marcus = new_browser()
    sign_in_as(dana, base_url)
    sign_in_as(marcus, base_url, DISPATCHER)
    return dana, marcus


def new_phone():
    return "+1512555" + str(random.randint(2000, 9999))


def text_in(driver, phone, body):
    """A customer at `phone` texts the business's demo number, through the phone simulator."""
    status = driver.execute_async_script(
        """
        const [phone, body, done] = arguments;
        fetch('/simulator').then((r) => r.text()).then((html) => {
          const csrf = html.match(/name="_csrf" value="([^"]+)"/)[1];
          const number = html.match(/name="number" value="([^"]+)"/)[1];
          const form = new URLSearchParams({ _csrf: csrf, number, phone, body });
          return fetch('/simulator/messages', { method: 'POST', headers: { Accept: 'application/json' }, body: form });
        }).then((r) => done(r.status), (e) => done(String(e)));
        """,
        phone,
        body,
    )
    assert status == 204, status


def wait_until(driver, condition, message):
    # A live refresh may swap the element a condition was reading for a fresh copy of it: that is
    # "not yet", read it again.
    return WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: condition(d), message)


def list_items(driver):
    """The list as it is right now, read in one go: the page script swaps it out as events arrive."""
    return driver.execute_script(
        """
        return [...document.querySelectorAll('#inbox-list li.conversation')].map((li) => ({
          id: li.dataset.conversationId, classes: li.className, text: li.innerText }));
        """
    )


def item_with(driver, text):
    return next((item for item in list_items(driver) if text in item["text"]), None)


def position_of(driver, text):
    return next((index for index, item in enumerate(list_items(driver)) if text in item["text"]), None)


def unread_badge(driver):
    badge = driver.find_element(By.CSS_SELECTOR, "[data-unread-badge]")
    return 0 if badge.get_attribute("hidden") is not None else int(badge.text or "0")


def thread_text(driver):
    return driver.execute_script("return document.getElementById('thread')?.innerText ?? ''")


def click(driver, xpath):
    """Clicks the element at `xpath`, finding it again if a live refresh swapped it out meanwhile."""
    WebDriverWait(driver, WAIT, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.find_element(By.XPATH, xpath).click() or True
    )


def submit_with_confirmation(driver, xpath):
    click(driver, xpath)
    WebDriverWait(driver, WAIT).until(expected_conditions.alert_is_present())
    driver.switch_to.alert.accept()


def start_conversation(office, base_url):
    """A fresh customer texts in; both users then have the conversation open. Returns its id and phone."""
    dana, marcus = office
    for driver in office:
        driver.get(base_url + "/inbox")
    phone, body = new_phone(), "Is anyone around today? " + uuid.uuid4().hex[:6]
    text_in(dana, phone, body)
    for driver in office:
        wait_until(driver, lambda d: item_with(d, body) is not None, "the text never appeared in the list")
    conversation = item_with(dana, body)["id"]
    for driver in office:
        driver.get(f"{base_url}/inbox?c={conversation}")
        wait_until(driver, lambda d: body in thread_text(d), "the thread did not open")
    return conversation, phone, body


def test_a_customer_text_appears_live_for_both_in_order(office, base_url):
    dana, marcus = office
    for driver in office:
        driver.get(base_url + "/inbox")
    before = [unread_badge(driver) for driver in office]
    tag = uuid.uuid4().hex[:6]
    first, second = f"Water in the basement {tag}", f"Furnace clicking {tag}"
    text_in(dana, new_phone(), first)
    text_in(dana, new_phone(), second)
    for driver, count in zip(office, before):
        wait_until(
            driver,
            lambda d: item_with(d, first) is not None and item_with(d, second) is not None,
            "both texts should arrive without a reload",
        )
        # Newest unread first (CH2), bold with the accent bar.
        assert position_of(driver, second) < position_of(driver, first)
        assert "conversation-unread" in item_with(driver, second)["classes"]
        wait_until(driver, lambda d, count=count: unread_badge(d) == count + 2, "the unread badge counts both")


def test_a_reply_shows_on_the_other_screen_and_reorders_the_list(office, base_url):
    dana, marcus = office
    conversation, _, _ = start_conversation(office, base_url)
    composer = dana.find_element(By.ID, "composer-body")
    composer.send_keys("Luis can be there by 3.")
    composer.send_keys(Keys.ENTER)
    wait_until(marcus, lambda d: "Luis can be there by 3." in thread_text(d), "Marcus never saw Dana's reply")
    wait_until(dana, lambda d: composer.get_attribute("value") == "", "the composer clears after sending")

    # Another customer's fresh text now sits above the answered conversation in Marcus's list.
    newer = "Can you quote a water softener? " + uuid.uuid4().hex[:6]
    text_in(dana, new_phone(), newer)

    def answered_below_unread(driver):
        items = list_items(driver)
        ours = next((i for i, item in enumerate(items) if item["id"] == conversation), None)
        theirs = next((i for i, item in enumerate(items) if newer in item["text"]), None)
        return (
            ours is not None
            and theirs is not None
            and theirs < ours
            and "conversation-answered" in items[ours]["classes"]
            and "You: Luis can be there by 3." in items[ours]["text"]
        )

    wait_until(marcus, answered_below_unread, "the answered thread should drop below the unread one")


def test_typing_shows_on_the_other_screen_with_its_duration(office, base_url):
    dana, marcus = office
    start_conversation(office, base_url)
    dana.find_element(By.ID, "composer-body").send_keys("Let me check the sch")
    pattern = re.compile(r"Dana Whitfield is typing · (\d+) s")

    def typing_seconds(driver):
        match = pattern.search(driver.find_element(By.CSS_SELECTOR, "[data-presence]").text)
        return int(match.group(1)) if match else None

    wait_until(marcus, lambda d: typing_seconds(d) is not None, "Marcus should see Dana typing")
    first = typing_seconds(marcus)
    wait_until(marcus, lambda d: (typing_seconds(d) or 0) > first, "the typing duration should count up")
    # And the other way round: Dana sees that Marcus is viewing the same conversation.
    wait_until(
        dana,
        lambda d: "Also viewing: Marcus Bell" in d.find_element(By.CSS_SELECTOR, "[data-presence]").text,
        "Dana should see that Marcus has the conversation open",
    )


def test_closing_moves_the_thread_to_closed_for_both_and_mark_unread_brings_it_back_on_top(office, base_url):
    dana, marcus = office
    conversation, _, body = start_conversation(office, base_url)
    marcus.get(base_url + "/inbox")
    wait_until(marcus, lambda d: item_with(d, body) is not None, "Marcus's list shows the conversation")

    submit_with_confirmation(dana, "//button[normalize-space()='Close']")
    wait_until(dana, lambda d: "Conversation closed." in d.find_element(By.CSS_SELECTOR, ".flash").text, "closed")
    wait_until(marcus, lambda d: item_with(d, body) is None, "the thread leaves Marcus's Open tab live")
    for driver in office:
        driver.get(base_url + "/inbox?status=closed")
        assert item_with(driver, body) is not None

    dana.get(f"{base_url}/inbox?c={conversation}")
    click(dana, "//button[normalize-space()='Reopen']")
    marcus.get(base_url + "/inbox")
    wait_until(marcus, lambda d: item_with(d, body) is not None, "reopened")
    dana.find_element(By.ID, "composer-body").send_keys("We'll call you shortly.", Keys.ENTER)
    wait_until(marcus, lambda d: item_with(d, "call you shortly") is not None, "Marcus sees the reply in the list")

    dana.get(f"{base_url}/inbox?c={conversation}")
    click(dana, "//button[normalize-space()='Mark unread']")
    wait_until(
        marcus,
        lambda d: position_of(d, "call you shortly") == 0 and "conversation-unread" in list_items(d)[0]["classes"],
        "mark-unread should bring it back on top, bold, for Marcus too",
    )


def test_the_composer_keeps_the_161st_character_and_says_it_is_over(office, base_url):
    """Nothing typed is lost: past 160 the text stays, the count goes over in red and Send waits."""
    dana, _ = office
    start_conversation(office, base_url)
    composer = dana.find_element(By.ID, "composer-body")
    composer.send_keys("x" * 161)
    assert len(composer.get_attribute("value")) == 161
    counter = dana.find_element(By.ID, "composer-count").text
    assert counter.startswith("1 character over the 160 limit"), counter
    assert not dana.find_element(By.CSS_SELECTOR, "form[data-composer] button[type=submit]").is_enabled()
    composer.send_keys(Keys.BACKSPACE * 11)
    assert dana.find_element(By.ID, "composer-count").text.startswith("10 characters left")


def test_blocking_a_spammer_hides_their_next_text(office, base_url):
    dana, marcus = office
    conversation, phone, _ = start_conversation(office, base_url)
    click(dana, "//details[contains(@class,'menu')]/summary")
    submit_with_confirmation(dana, "//button[normalize-space()='Block as spam']")
    wait_until(dana, lambda d: "blocked as spam" in d.find_element(By.CSS_SELECTOR, ".flash").text, "blocked")
    marcus.get(base_url + "/inbox")
    tag = uuid.uuid4().hex[:6]
    text_in(dana, phone, f"FREE CRUISE click now {tag}")
    control = f"Is the 2pm visit still on? {tag}"
    text_in(dana, new_phone(), control)
    # The control text arrived after the spam one, so the spam would have shown by now.
    wait_until(marcus, lambda d: item_with(d, control) is not None, "the control text arrives")
    assert item_with(marcus, "FREE CRUISE") is None
    assert all(item["id"] != conversation for item in list_items(marcus))
