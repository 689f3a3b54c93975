"""No page scrolls sideways, and nothing sticks out past the screen's right edge, on a phone (390 px),
a tablet (768 px) or a desktop (1440 px) (issue 17). Every office and technician page of pages.py,
the same list docs/screenshots is taken from.

A wide table may scroll inside its own box; a navigation bar may not (it would hide links past the
edge). One browser per width, signed in once per role; each page is its own test."""
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

import pages
from conftest import make_driver

CASES = [(width, name, path, who) for width in pages.WIDTHS for name, path, who in pages.PAGES]

# A navigation (or a header) that scrolls sideways inside itself: its links past the edge are out of
# sight, the way the top bar's were on phones.
HIDDEN_BY_SCROLLING = """
return [...document.querySelectorAll('header, nav')].filter((box) => {
  const style = getComputedStyle(box);
  return ['auto', 'scroll'].includes(style.overflowX) && style.display !== 'none'
    && box.scrollWidth > box.clientWidth + 1;
}).map((box) => ({tag: box.tagName.toLowerCase(), id: box.id, classes: box.getAttribute('class') || '',
  left: Math.round(box.getBoundingClientRect().left), right: Math.round(box.getBoundingClientRect().right),
  width: box.scrollWidth, text: box.innerText.trim().replace(/\\s+/g, ' ').slice(0, 40)}));
"""


@pytest.fixture(scope="module")
def records(base_url):
    return pages.demo_records(base_url)


@pytest.fixture(scope="module")
def visitors(base_url):
    """One browser per width, opened when first needed and kept for the module."""
    opened = {}

    def visitor(width):
        if width not in opened:
            opened[width] = pages.Visitor(make_driver(width, pages.HEIGHTS[width]), base_url)
        return opened[width]

    yield visitor
    for each in opened.values():
        each.driver.quit()


@pytest.mark.parametrize("width,name,path,who", CASES, ids=[f"{c[1]}-{c[0]}" for c in CASES])
def test_the_page_fits_the_screen(visitors, records, width, name, path, who):
    visitor = visitors(width)
    visitor.visit(path, who, records)
    driver = visitor.driver
    driver.execute_script("return document.fonts.ready")
    found = pages.overflow(driver)
    scrolled = driver.execute_script(HIDDEN_BY_SCROLLING)
    problems = []
    if found["scrollWidth"] > found["clientWidth"]:
        problems.append(f"the page is {found['scrollWidth']} px wide in a {found['clientWidth']} px window")
    problems += [f"sticks out: {pages.describe(element)}" for element in found["elements"][:12]]
    if len(found["elements"]) > 12:
        problems.append(f"… and {len(found['elements']) - 12} more")
    problems += [f"scrolls sideways, hiding what is past the edge: {pages.describe(box)}" for box in scrolled]
    if problems:
        pytest.fail(f"{name} ({path}) at {width} px:\n  " + "\n  ".join(problems), pytrace=False)


def test_on_a_phone_the_office_links_fold_behind_a_menu_that_shows_the_unread_count(visitors, records):
    """The compact top bar: one row with the Menu button and its unread badge; a tap opens every link
    and Sign out, Escape closes them again. A technician's two links stay in view."""
    visitor = visitors(390)
    visitor.visit("/customers", "office", records)
    driver = visitor.driver
    menu = driver.find_element(By.CSS_SELECTOR, "[data-nav-menu]")
    links = driver.find_elements(By.CSS_SELECTOR, ".nav-link")
    assert menu.is_displayed() and not any(link.is_displayed() for link in links)
    assert menu.get_attribute("aria-expanded") == "false"
    inbox = driver.find_element(By.CSS_SELECTOR, ".nav-link[href='/inbox'] [data-unread-badge]")
    badge = menu.find_element(By.CSS_SELECTOR, "[data-unread-badge]")
    assert (badge.get_attribute("hidden") is None) == (inbox.get_attribute("hidden") is None)
    if badge.get_attribute("hidden") is None:
        assert badge.is_displayed() and badge.text == inbox.get_attribute("textContent")

    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert all(link.is_displayed() for link in links)
    assert driver.find_element(By.CSS_SELECTOR, "form.signout button").is_displayed()
    assert pages.overflow(driver)["elements"] == []
    driver.find_element(By.CSS_SELECTOR, ".nav-link[href='/jobs']").click()
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/jobs"))
    menu = driver.find_element(By.CSS_SELECTOR, "[data-nav-menu]")
    menu.click()
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    assert menu.get_attribute("aria-expanded") == "false"
    assert not driver.find_element(By.CSS_SELECTOR, ".nav-link[href='/jobs']").is_displayed()

    visitor.visit("/field", "technician", records)
    assert not visitor.driver.find_element(By.CSS_SELECTOR, "[data-nav-menu]").is_displayed()
    assert all(link.is_displayed() for link in visitor.driver.find_elements(By.CSS_SELECTOR, ".nav-link"))
