"""Realistic inputs for every form test (issue 17): what people really type and paste, not "Test 1".

Names with accents, apostrophes and hyphens; multi-word addresses; a business name with "&", "+"
and "%" (characters a form or a query string mangles when it is not encoded and decoded right);
pasted long text; emoji (outside the Basic Multilingual Plane, so ChromeDriver cannot type them:
`type_into` pastes those); and phone numbers typed every way people type them.

Where a test needs a record of its own, `unique(...)` and `unique_phone(...)` make one that no other
test (and no earlier run against the same server) has: a short run tag, and phone numbers drawn
without repeats from a block the demo seed does not use."""
import random
import uuid

from selenium.webdriver.remote.webelement import WebElement

# People, as they write their own names.
NAMES = ["José Núñez-O'Brien", "Linda Park", "Nguyễn Thị Mai", "Zoë Ashby-Ferreira", "Seán O'Connor"]
ACCENTED_NAME = "José Núñez-O'Brien"
VIETNAMESE_NAME = "Nguyễn Thị Mai"

# Multi-word addresses, with a unit.
ADDRESSES = ["418 Birchwood Ln Apt 2B", "2502 E Cesar Chavez St Unit 4", "7205 Manchaca Rd Ste 110"]
ADDRESS = ADDRESSES[0]

# A business name with the characters query strings and form encoders get wrong.
BUSINESS = "Núñez & Sons Plumbing + Air — 15% off"

# Text pasted from somewhere else: long (over 195 characters), with a line break and punctuation.
LONG_TEXT = (
    "Hi, this is the property manager for the duplex on Birchwood. The tenant in 2B says the water "
    "heater has been leaking since Sunday night & there's about an inch of water in the closet.\n"
    "Gate code is 4411, the dog is friendly. Can someone come before noon tomorrow? Thanks!"
)
assert len(LONG_TEXT) >= 195

# Text with emoji, as customers send it.
EMOJI_TEXT = "The water heater is banging again 😟 can someone come today? 🙏"
EMOJI = "👍"

# One number, typed every way people type it (the digits 512 555 7788).
PHONE_FORMATS = ["(512) 555-7788", "512.555.7788", "512-555-7788", "+1 512 555 7788", "5125557788",
                 "1-512-555-7788"]
FORMATS = {
    "parens": "({area}) {exchange}-{line}",
    "dots": "{area}.{exchange}.{line}",
    "dashes": "{area}-{exchange}-{line}",
    "international": "+1 {area} {exchange} {line}",
    "digits": "{area}{exchange}{line}",
    "leading-one": "1-{area}-{exchange}-{line}",
}
# Not phone numbers, typed into a phone field.
UNREADABLE_PHONES = ["12ab", "555-01", "call me"]

RUN = uuid.uuid4().hex[:4]
_used_lines = set()


def unique(text):
    """`text` made unique to this test run (a short tag at the end), for names searched for later."""
    return f"{text} {RUN}{random.randint(10, 99)}"


def unique_phone(style="parens", area="512"):
    """A 555 number no other test of this run has used, written in `style` (a key of FORMATS). The
    last four digits stay away from 0100-0399, where the demo's customers and numbers live."""
    while True:
        line = f"{random.randint(4000, 9999)}"
        if line not in _used_lines:
            _used_lines.add(line)
            break
    return FORMATS[style].format(area=area, exchange="555", line=line)


def e164(phone):
    """The +1 form of a US number typed any of the ways above."""
    digits = "".join(c for c in phone if c.isdigit())
    return "+1" + digits[-10:]


def displayed(phone):
    """How Fieldline shows a US number: (512) 555-7788."""
    digits = e164(phone)[2:]
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def type_into(element: WebElement, text):
    """Types `text` into a field as a person would; characters ChromeDriver cannot type (emoji) are
    pasted where the caret is, with the same input events a paste fires."""
    run = ""
    for character in text:
        if ord(character) > 0xFFFF:
            if run:
                element.send_keys(run)
                run = ""
            element.parent.execute_script(
                "arguments[0].focus(); document.execCommand('insertText', false, arguments[1])", element, character)
        else:
            run += character
    if run:
        element.send_keys(run)
