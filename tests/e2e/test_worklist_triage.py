"""A clinician works through the worklist in a real browser on a 1280×720 laptop: sorts the whole list by
weeks since surgery, opens the top patient with one click, reads every reason without a double-click, and
reviews (a note required, a re-check date, undo)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from dashboard.demo import DEMO_ACCOUNTS
from tests.e2e.conftest import choose_option, sign_in, wait_for_sign_in_cookie
from tests.e2e.staff_desk import settled

PASSWORD = {name: password for name, _role, password in DEMO_ACCOUNTS}
WIDTH, HEIGHT = 1280, 720


def _signed_in(page_of_size, demo_url: str) -> Page:
    page = page_of_size(WIDTH, HEIGHT)
    sign_in(page, demo_url, "clinician", PASSWORD["clinician"])
    wait_for_sign_in_cookie(page)  # the tests open addresses anew: only the cookie carries the sign-in
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    expect(page.locator("[data-testid='stDataFrame']")).to_be_visible()
    settled(page)
    return page


def _choose(page: Page, box: str, option: str) -> None:
    choose_option(page, box, option)
    settled(page)


def _column(page: Page, header: str) -> list[str]:
    """The texts of one column's rows drawn in the table now (the grid draws on a canvas and keeps its
    cells readable, row by row, in an accessible table)."""
    grid = page.locator("[data-testid='stDataFrame']")
    headers = grid.locator("[role='columnheader']").all_inner_texts()
    index = next((i for i, text in enumerate(headers) if text.strip().startswith(header)), None)
    if index is None:  # not drawn yet
        return []
    values = []
    for row in grid.locator("[role='row']").all()[1:]:
        cells = row.locator("[role='gridcell'], [role='rowheader']").all_inner_texts()
        if len(cells) == len(headers):
            values.append(cells[index].strip())
    return values


def _weeks(page: Page) -> list[int]:
    return [int(v) for v in _column(page, "Weeks") if v.isdigit()]


def _drawn(page: Page, read, wanted):
    """What `read` finds once the grid has drawn the new rows (its readable cells follow the canvas a moment
    later): read again until `wanted` holds, for at most 20 s, then as it stands."""
    for _ in range(40):
        value = read()
        if wanted(value):
            return value
        page.wait_for_timeout(500)
    return read()


def _weeks_in_order(page: Page, descending: bool, below: int | None = None) -> list[int]:
    def ok(weeks: list[int]) -> bool:
        in_order = len(weeks) >= 5 and weeks == sorted(weeks, reverse=descending)
        return in_order and (below is None or max(weeks) <= below)

    return _drawn(page, lambda: _weeks(page), ok)


def _to_page(page: Page, number: int) -> None:
    box = page.get_by_role("spinbutton", name=re.compile(r"^Page"))
    box.fill(str(number))
    box.press("Enter")
    expect(page.get_by_text(re.compile(f"^Patients {(number - 1) * 50 + 1}–"))).to_be_visible()
    settled(page)


def _scroll_table_to_the_end(page: Page) -> None:
    grid = page.locator("[data-testid='stDataFrame']")
    grid.hover()
    page.mouse.wheel(0, 20_000)
    page.wait_for_timeout(500)


def test_sorting_by_weeks_since_surgery_orders_the_whole_list_across_pages(page_of_size, demo_url):
    page = _signed_in(page_of_size, demo_url)
    caption = page.get_by_text(re.compile(r"^Patients 1–50 of \d+"))
    expect(caption).to_be_visible()
    total = int(re.search(r"of (\d+)", caption.inner_text()).group(1))
    assert total > 50, "the demo flags more than one page of patients"
    last = -(-total // 50)

    _choose(page, "Sort by", "Weeks since surgery")
    expect(page).to_have_url(re.compile(r"[?&]sort=weeks"))
    settled(page)
    first = _weeks_in_order(page, descending=True)
    assert len(first) >= 5 and first == sorted(first, reverse=True)
    longest = first[0]
    _to_page(page, 2)
    second = _weeks_in_order(page, descending=True, below=min(first))
    assert second and second == sorted(second, reverse=True) and max(second) <= min(first)

    # the other way round, the longest since surgery is the very last row of the last page
    _choose(page, "Order", "Lowest first")
    expect(page).to_have_url(re.compile(r"[?&]order=asc"))
    settled(page)
    _to_page(page, last)
    _scroll_table_to_the_end(page)
    assert _weeks(page)[-1] == longest

    page.reload()  # the order is kept in the address, as the filters are
    expect(page.get_by_role("combobox", name="Sort by")).to_have_value("Weeks since surgery")


def test_one_click_on_the_top_row_opens_that_patient_and_every_reason_is_readable(page_of_size, demo_url):
    page = _signed_in(page_of_size, demo_url)
    _choose(page, "Sort by", "Weeks since surgery")
    expect(page).to_have_url(re.compile(r"[?&]sort=weeks"))
    # Known limit (Streamlit 1.67's grid): the first click on the grid after its rows were re-drawn in the
    # same page view selects nothing (the second does). The sorted list is opened from its address, as a
    # bookmark or a reload does, so that the click below is the first on these rows.
    page.goto(page.url)
    expect(page.locator("[data-testid='stDataFrame']")).to_be_visible()
    settled(page)
    _weeks_in_order(page, descending=True)
    top_mrn = _column(page, "MRN")[0]

    # under the list, before anything is clicked: the top patient's flags and every reason, each in full
    detail = page.locator(".st-key-wl_detail")
    expect(detail).to_contain_text(top_mrn)
    reasons = detail.locator("li")
    expect(reasons).not_to_have_count(0)
    texts = reasons.all_inner_texts()
    assert len(texts) == len(set(texts)), "each reason once"
    for reason in reasons.all():
        reason.scroll_into_view_if_needed()
        expect(reason).to_be_in_viewport()
        box = reason.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH  # not cut at the edge
        assert "|" not in reason.inner_text()
    for sentence in texts:
        assert not re.search(r"\bNone\b", sentence)

    # one click on a cell of the top row (not its checkbox) opens that patient; the grid draws on a canvas,
    # so the click goes where the first row is drawn, under the header row
    grid = page.locator("[data-testid='stDataFrame'] .stDataFrameGlideDataEditor").first
    where = grid.bounding_box()
    assert where is not None
    grid.click(position={"x": where["width"] / 2, "y": 35 + 17})
    expect(page.get_by_role("heading", name=re.compile(f"^{re.escape(top_mrn)} · "))).to_be_visible()
    for sentence in texts:  # the patient page says each of them too
        expect(page.get_by_text(sentence, exact=False).first).to_be_attached()


def _open_top_patient(page: Page, mrn: str) -> None:
    """The patient under the list is the top one of the page; Open patient opens them."""
    expect(page.locator(".st-key-wl_detail")).to_contain_text(mrn)
    page.get_by_role("button", name="Open patient").click()
    expect(page.get_by_role("heading", name=re.compile(f"^{re.escape(mrn)} · "))).to_be_visible()
    settled(page)


def test_a_review_needs_a_note_carries_a_recheck_date_shows_on_the_row_and_can_be_undone(page_of_size, demo_url):
    page = _signed_in(page_of_size, demo_url)
    _choose(page, "Sort by", "MRN")
    _choose(page, "Order", "Z to A")  # away from the patients the other tests open
    expect(page).to_have_url(re.compile(r"[?&]order=desc"))
    settled(page)
    mrns = _drawn(page, lambda: _column(page, "MRN"), lambda m: len(m) >= 5 and m == sorted(m, reverse=True))
    mrn = mrns[0]
    _open_top_patient(page, mrn)

    save = page.get_by_role("button", name="Mark flags reviewed")
    save.click()
    expect(page.get_by_test_id("stAlert").filter(has_text="Review note is required")).to_be_visible()
    expect(page.get_by_text(re.compile("^Reviewed by"))).to_have_count(0)

    recheck = date.today() + timedelta(days=14)
    page.get_by_role("textbox", name="Review note (required)").fill("SCS trial booked")
    page.get_by_test_id("stDateInput").filter(has_text="Re-check on").locator("input").fill(recheck.isoformat())
    page.keyboard.press("Escape")
    save.click()
    expect(page.get_by_text(re.compile("^Reviewed: "))).to_be_visible()
    expect(page.get_by_text(re.compile(f"holds until {recheck.isoformat()}"))).to_be_visible()

    page.goto(demo_url + "/worklist?sort=mrn&order=desc")
    settled(page)
    expect(page.locator("[role='gridcell']").filter(has_text=re.compile(f"^{mrn}$"))).to_have_count(0)
    page.goto(demo_url + "/worklist?sort=mrn&order=desc&reviewed=yes")
    settled(page)
    # the row's Reviewed column (who, when, note) is drawn to the right of the grid; in full under the list
    detail = page.locator(".st-key-wl_detail")
    expect(detail).to_contain_text(mrn)
    expect(detail).to_contain_text("Reviewed by clinician")
    expect(detail).to_contain_text("SCS trial booked")
    expect(detail).to_contain_text(f"re-check {recheck.isoformat()}")
    # looking back to yesterday, before the review, the patient is on the list unreviewed
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    page.goto(demo_url + f"/worklist?sort=mrn&order=desc&as_of={yesterday}")
    settled(page)
    expect(page.locator("[role='gridcell']").filter(has_text=re.compile(f"^{mrn}$"))).not_to_have_count(0)

    page.goto(demo_url + "/patient")
    finder = page.get_by_role("textbox", name="Find patient")
    finder.fill(mrn)
    finder.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(f"^{re.escape(mrn)} · "))).to_be_visible()
    settled(page)
    page.get_by_role("button", name="Undo this review").click()
    expect(page.get_by_text("Review undone")).to_be_visible()
    expect(page.get_by_text(re.compile("^Reviewed by"))).to_have_count(0)
    page.goto(demo_url + "/worklist?sort=mrn&order=desc")
    settled(page)
    expect(page.locator("[role='gridcell']").filter(has_text=re.compile(f"^{mrn}$"))).not_to_have_count(0)
