"""A dispatcher's first hour with search and the phone simulator (issue 17), typed the way people type:
multi-word names and addresses, a name with accents, "&", "+", "%" and an emoji, phone numbers in
every format. What was typed must come back exactly as typed (a "+" for every space was the bug),
and a number typed into the simulator must open its own thread, never an existing customer's."""
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

import realistic
from conftest import make_driver
from realistic import type_into
from test_inbox_live import item_with, list_items, sign_in_as

WAIT = 10


@pytest.fixture(scope="module")
def office(base_url):
    """The admin, signed in once for the module (each test starts from a page of its own)."""
    driver = make_driver(1280, 900)
    sign_in_as(driver, base_url)
    yield driver
    driver.quit()


def search_customers(driver, base_url, text):
    """Types `text` into the customer search box and submits it; returns the names listed."""
    driver.get(base_url + "/customers")
    box = driver.find_element(By.NAME, "q")
    type_into(box, text)
    box.send_keys(Keys.ENTER)
    WebDriverWait(driver, WAIT).until(lambda d: "q=" in d.current_url, "the search was not submitted")
    return [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "table#customers tbody a.row-link")]


def texts_of(driver, css):
    """The text of every element matching `css` right now (find_elements would wait for one to come)."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((e) => e.innerText)", css)


def search_box(driver):
    return driver.find_element(By.NAME, "q").get_attribute("value")


@pytest.mark.parametrize("typed,expected", [
    ("Linda Park", "Linda Park"),
    ("418 Birchwood", "Robert Castellanos"),
    ("800 W 6th St", "Linda Park"),
    ("Jorge & Ana", "Jorge & Ana Medina"),
])
def test_customer_search_by_several_words_finds_them_and_keeps_the_words(office, base_url, typed, expected):
    names = search_customers(office, base_url, typed)
    assert expected in names, f"searching {typed!r} listed {names}"
    assert search_box(office) == typed, "the search box must show what was typed, spaces and all"
    assert "+" not in search_box(office)
    # Paging keeps the words too: the links carry the whole query, encoded.
    for href in office.execute_script(
            "return [...document.querySelectorAll('.card-footer a[href*=\"q=\"]')].map((a) => a.href)"):
        assert parse_qs(urlparse(href).query)["q"] == [typed]


@pytest.mark.parametrize("style", list(realistic.FORMATS))
def test_customer_search_by_a_phone_number_typed_any_way(office, base_url, style):
    typed = realistic.FORMATS[style].format(area="512", exchange="555", line="0142")
    names = search_customers(office, base_url, typed)
    assert names == ["Robert Castellanos"], f"searching {typed!r} listed {names}"
    assert search_box(office) == typed


def test_a_customer_named_with_accents_symbols_and_an_emoji_is_created_and_found(office, base_url):
    name = realistic.unique(f"{realistic.BUSINESS} {realistic.EMOJI}")
    phone = realistic.unique_phone("dots")
    office.get(base_url + "/customers/new")
    type_into(office.find_element(By.ID, "name"), name)
    type_into(office.find_element(By.ID, "notes"), realistic.LONG_TEXT)
    type_into(office.find_element(By.ID, "tags"), "maintenance plan, vip")
    type_into(office.find_element(By.ID, "phone"), phone)
    type_into(office.find_element(By.ID, "street"), realistic.ADDRESS)
    type_into(office.find_element(By.ID, "city"), "Austin")
    type_into(office.find_element(By.ID, "state"), "TX")
    type_into(office.find_element(By.ID, "postalCode"), "78704")
    office.find_element(By.XPATH, "//button[normalize-space()='Create customer']").click()
    WebDriverWait(office, WAIT).until(
        lambda d: "/customers/new" not in d.current_url and d.current_url.rstrip("/") != base_url + "/customers",
        "the customer was not created")
    assert office.find_element(By.TAG_NAME, "h1").text == name
    page = office.find_element(By.ID, "main").text
    assert realistic.displayed(phone) in page
    assert realistic.ADDRESS in page

    names = search_customers(office, base_url, name)
    assert names == [name], f"searching {name!r} listed {names}"
    assert search_box(office) == name, "the search box must show the name exactly: &, +, %, accents and emoji"


@pytest.mark.parametrize("style,person", zip(realistic.FORMATS, realistic.NAMES * 2))
def test_a_new_customers_phone_number_is_read_however_it_is_typed(office, base_url, style, person):
    name, phone = realistic.unique(person), realistic.unique_phone(style)
    office.get(base_url + "/customers/new")
    type_into(office.find_element(By.ID, "name"), name)
    type_into(office.find_element(By.ID, "phone"), phone)
    type_into(office.find_element(By.ID, "street"), realistic.ADDRESSES[len(name) % len(realistic.ADDRESSES)])
    for field, value in (("city", "Austin"), ("state", "TX"), ("postalCode", "78745")):
        type_into(office.find_element(By.ID, field), value)
    office.find_element(By.XPATH, "//button[normalize-space()='Create customer']").click()
    WebDriverWait(office, WAIT).until(lambda d: "/customers/new" not in d.current_url)
    refusals = [text for text in texts_of(office, ".flash-error, .field-error") if text]
    assert not refusals, f"{phone!r} was refused: {refusals}"
    assert office.find_element(By.TAG_NAME, "h1").text == name
    assert realistic.displayed(phone) in office.find_element(By.ID, "main").text
    assert search_customers(office, base_url, phone) == [name]


def test_inbox_search_by_a_full_name(office, base_url):
    office.get(base_url + "/inbox")
    box = office.find_element(By.CSS_SELECTOR, "input[type=search][name=q]")
    type_into(box, "Linda Park")
    box.send_keys(Keys.ENTER)
    WebDriverWait(office, WAIT).until(lambda d: "q=" in d.current_url, "the search was not submitted")
    items = list_items(office)
    assert any("Linda Park" in item["text"] for item in items), items
    assert not any("Robert Castellanos" in item["text"] for item in items), "the search matched everyone"
    assert office.find_element(By.CSS_SELECTOR, "input[type=search][name=q]").get_attribute("value") == "Linda Park"


def other_number_form(driver):
    box = driver.find_element(By.ID, "sim-other")
    return box, box.find_element(By.XPATH, "./ancestor::form").find_element(By.CSS_SELECTOR, "button[type=submit]")


def test_the_simulator_texts_from_a_new_number_typed_with_parentheses(office, base_url):
    phone = realistic.unique_phone("parens")
    office.get(base_url + "/simulator")
    before = office.find_element(By.CSS_SELECTOR, ".sim-header").text
    box, submit = other_number_form(office)
    type_into(box, phone)
    submit.click()
    WebDriverWait(office, WAIT).until(lambda d: phone in d.find_element(By.CSS_SELECTOR, ".sim-header").text,
                                      f"the simulator did not switch to {phone}; its header says {before!r}")
    assert f"you are {phone}" in office.find_element(By.CSS_SELECTOR, ".sim-header").text
    assert texts_of(office, "#sim-thread [data-empty]"), "a new number has no texts yet"

    body = f"Is anyone free today? Tag {uuid.uuid4().hex[:6]} {realistic.EMOJI}"
    type_into(office.find_element(By.ID, "sim-body"), body)
    office.find_element(By.CSS_SELECTOR, "form[data-simulator] button[type=submit]").click()
    WebDriverWait(office, WAIT).until(lambda d: body in d.find_element(By.ID, "sim-thread").text,
                                      "the text did not show in the simulator's thread")

    office.get(base_url + "/inbox")
    WebDriverWait(office, WAIT).until(lambda d: item_with(d, body) is not None, "the text never reached the inbox")
    # Its own conversation, marked Unknown (the badge may be hidden at some widths: read the markup).
    holders = office.execute_script(
        """return [...document.querySelectorAll('#inbox-list li.conversation')]
             .filter((li) => li.textContent.includes(arguments[0]))
             .map((li) => ({text: li.textContent, unknown: !!li.querySelector('.badge-unknown')}))""", body)
    assert len(holders) == 1, holders
    assert holders[0]["unknown"] and phone in holders[0]["text"], holders[0]["text"]


def test_an_unreadable_number_in_the_simulator_is_refused_next_to_the_field(office, base_url):
    office.get(base_url + "/simulator")
    box, submit = other_number_form(office)
    type_into(box, "12ab")
    submit.click()
    WebDriverWait(office, WAIT).until(lambda d: d.find_elements(By.ID, "sim-other-error"), "no error was shown")
    box = office.find_element(By.ID, "sim-other")
    error = office.find_element(By.ID, "sim-other-error")
    assert error.is_displayed() and error.text.strip()
    assert box.get_attribute("value") == "12ab", "what was typed must stay in the box"
    assert box.get_attribute("aria-invalid") == "true"
    assert "sim-other-error" in (box.get_attribute("aria-describedby") or "")
    # Next to the field: in the same field group, right under the box.
    same_field = office.execute_script(
        "return arguments[0].closest('.field') === arguments[1].closest('.field')", box, error)
    assert same_field
    assert 0 <= error.location["y"] - (box.location["y"] + box.size["height"]) < 40
    assert "you are 12ab" not in office.find_element(By.CSS_SELECTOR, ".sim-header").text
