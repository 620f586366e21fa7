"""An organiser prepares a Qingming event in the pages; the public lays flowers and leaves a message on a phone."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import open_page, sign_in

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_an_organiser_prepares_an_event_end_to_end(live_server, browser):
    organizer = live_server.add_user("organizer", name="qingming_organizer")
    record = open_page(browser, viewport={"width": 1366, "height": 900})
    page = record.page
    sign_in(record, live_server, organizer)
    page.goto(f"{live_server.url}/events")
    next_qingming = page.inner_text("#next-qingming")
    assert re.fullmatch(r"\d{4}年4月[456]日", next_qingming)

    # A new event: Qingming's date is filled in from the solar terms.
    page.click("text=新建活动")
    page.wait_for_url(re.compile(r"/events/new$"))
    page.select_option("select[name=kind]", "qingming")
    options = page.locator("select[name='facility_ids[]'] option")
    page.select_option("select[name='facility_ids[]']", [options.nth(0).get_attribute("value"),
                                                         options.nth(5).get_attribute("value")])
    page.click("form.apiform button[type=submit]")
    page.wait_for_url(re.compile(r"/events/[0-9]+$"))
    event_url = page.url
    assert page.locator("#board tbody tr").count() == 2
    assert "从未巡查" in page.inner_text("#board") or "未巡查" in page.inner_text("#board")

    # A slot of 30 places, a booking of 25, then one of 10 that the slot cannot take: refused in Chinese.
    page.fill("#slot-form input[name=start]", "09:00")  # the demo's own event holds the cemetery then
    page.fill("#slot-form input[name=end]", "10:30")
    page.fill("#slot-form input[name=capacity]", "30")
    page.click("#slot-form button[type=submit]")
    page.locator("#slot-form .field-error", has_text="与该设施当天已有的时段重叠").wait_for()
    page.fill("#slot-form input[name=start]", "12:00")
    page.fill("#slot-form input[name=end]", "13:30")
    page.fill("#slot-form input[name=capacity]", "30")
    page.click("#slot-form button[type=submit]")
    page.wait_for_selector("#slots tr[data-slot], #slot-form .form-error:visible, #slot-form .field-error:not(:empty)")
    assert page.locator("#slots tr[data-slot]").count() == 1, page.inner_text("#slot-form")
    page.fill("#booking-form input[name=group_name]", "红安县第一中学")
    page.fill("#booking-form input[name=people]", "25")
    page.click("#booking-form button[type=submit]")
    page.wait_for_selector("#slots td:has-text('红安县第一中学')")
    assert page.inner_text("#slots tr[data-slot] .remaining") == "5"
    page.fill("#booking-form input[name=group_name]", "县人武部")
    page.fill("#booking-form input[name=people]", "10")
    page.click("#booking-form button[type=submit]")
    error = page.locator("#booking-form .form-error")
    error.wait_for(state="visible")
    assert "剩余名额5人" in error.inner_text()

    # The printable day's schedule and the route map.
    page.click("text=当日预约安排（打印）")
    page.wait_for_selector(".schedule")
    assert "红安县第一中学" in page.inner_text(".schedule") and "25" in page.inner_text(".schedule")
    page.goto(event_url + "/route")
    page.wait_for_function("document.querySelectorAll('.route-badge, .leaflet-marker-icon').length >= 3")

    # A cross-region trip and its letter.
    page.goto(f"{live_server.url}/trips")
    page.fill("#trip-form input[name=martyr_name]", "陈家宝")
    page.fill("#trip-form input[name=destination_name]", "沈阳抗美援朝烈士陵园")
    page.fill("#trip-form input[name=receiving_bureau]", "沈阳市退役军人事务局")
    page.fill("#trip-form input[name=depart_on]", "2030-04-02")
    page.fill("#trip-form input[name=return_on]", "2030-04-04")
    page.fill("#trip-form input[name='people.0.name']", "陈国强")
    page.fill("#trip-form input[name='people.0.relation']", "侄子")
    page.fill("#trip-form input[name='people.1.name']", "陈丽")
    page.fill("#trip-form input[name='people.1.relation']", "侄孙女")
    page.click("#trip-form button[type=submit]")
    page.wait_for_selector("#trips td:has-text('陈国强（侄子）、陈丽（侄孙女）')")
    letter = page.locator("#trips a[href$='letter.pdf']").first
    with page.expect_response(re.compile(r"letter\.pdf$")) as answer:
        page.evaluate("url => fetch(url)", letter.get_attribute("href"))
    assert answer.value.status == 200 and answer.value.headers["content-type"] == "application/pdf"

    # The proxy-visit queue.
    page.goto(f"{live_server.url}/proxy-visits")
    assert page.locator("#proxy-counts .stat").count() == 5
    unexpected = [e for e in record.errors if "status of 422" not in e and "status of 409" not in e]
    assert not unexpected, unexpected  # the two refusals above are the only failed requests


def test_the_public_pages_on_a_phone(live_server, browser):
    organizer = live_server.add_user("organizer", name="tribute_organizer")
    record = open_page(browser, **PHONE)
    page = record.page
    page.goto(f"{live_server.url}/tribute/search?q=zds")
    link = page.locator("#results a").first
    link.wait_for()
    assert "张德胜" in link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/tribute/martyrs/[0-9]+"))
    martyr_url = page.url
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scrolling
    before = int(page.inner_text("#flower-count"))
    page.click("#flowers button[type=submit]")
    page.wait_for_selector("#flowers .notice")
    assert int(page.inner_text("#flower-count")) == before + 1

    page.fill("#messages textarea[name=text]", "<b>英雄</b>永垂不朽")
    page.fill("#messages input[name=author]", "一名学生")
    page.click("#messages button[type=submit]")
    page.wait_for_selector("#message-sent")
    assert "英雄</b>永垂不朽" not in page.inner_text("#messages ul")  # waits for moderation

    # An organiser approves it; then it shows, as text.
    staff = open_page(browser, viewport={"width": 1280, "height": 900})
    sign_in(staff, live_server, organizer)
    staff.page.goto(f"{live_server.url}/moderation")
    row = staff.page.locator("#messages tr", has_text="英雄")
    row.get_by_role("button", name="通过", exact=True).click()
    staff.page.wait_for_selector("#messages tr:has-text('英雄')", state="detached")
    page.goto(martyr_url)
    assert "<b>英雄</b>永垂不朽" in page.inner_text("#messages ul")

    # A family asks for a proxy visit.
    page.click("text=申请由当地退役军人事务部门代为祭扫")
    page.fill("input[name=requester_name]", "张卫东")
    page.fill("input[name=requester_phone]", "12345")
    page.fill("input[name=relation]", "曾孙")
    page.click("button[type=submit]")
    page.wait_for_selector(".field-error")
    page.fill("input[name=requester_phone]", "13912345678")
    page.click("button[type=submit]")
    page.wait_for_selector("#proxy-sent")
    unexpected = [e for e in record.errors + staff.errors if "status of 422" not in e]
    assert not unexpected, unexpected  # the refused phone number is the only failed request


ORGANISER_PAGES = ("/events", "/events/1", "/events/1/schedule", "/proxy-visits", "/trips", "/moderation",
                   "/commemoration/summary")


@pytest.mark.parametrize("size", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}],
                         ids=["phone", "desktop"])
def test_organiser_pages_at_phone_and_desktop_sizes(live_server, browser, size):
    """Every organiser page opens at both sizes, in Chinese, without script errors."""
    organizer = live_server.add_user("organizer", name=f"sizes_{size['width']}")
    record = open_page(browser, viewport=size)
    sign_in(record, live_server, organizer)
    page = record.page
    for path in ORGANISER_PAGES:
        resp = page.goto(f"{live_server.url}{path}")
        assert resp.status == 200, path
        assert re.search(r"[\u4e00-\u9fff]", page.title()), path
        assert page.locator("h1").count() == 1, path
    assert not record.errors, record.errors
