"""Follow-up outreach in a real browser at 1280x720: staff find ten overdue patients on Follow-ups, log a
contact attempt for each in one go, make one PDF of ten reminder letters, and the cohort page counts the ten
as lost to follow-up at that time point."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from data_model.audit import set_actor
from data_model.commands import add_surgery, register_patient
from data_model.db import make_engine, read_session, write_session
from data_model.models import AuditEntry, FollowUpContact, Patient
from data_model.outreach.contacts import TimePoint, log_contacts
from tests.e2e.conftest import choose_option
from tests.e2e.staff_desk import settled, sign_in_as_staff, toast_then_settled, type_into, unique_mrn


def _ten_overdue(db: str) -> str:
    """Ten discectomies 60 days ago with no visit since: the 6-week window (4 to 8 weeks) closed 4 days ago,
    the 3-month one opens in 10 days. Returns the MRNs' common stem."""
    stem = unique_mrn("OUT")
    engine = make_engine(db)
    try:
        with write_session(engine) as session:
            set_actor(session, "e2e-setup")
            for i in range(10):
                patient = register_patient(session, {"mrn": f"{stem}-{i}", "display_name": f"Otto Reach{i}"})
                surgery = {"surgery_date": date.today() - timedelta(days=60), "procedure": "discectomy"}
                add_surgery(session, patient.id, surgery)
    finally:
        engine.dispose()
    return stem


def _logged(db: str, stem: str, *columns) -> list:
    """These columns of every attempt logged for the patients whose MRN starts with stem, oldest first."""
    engine = make_engine(db)
    try:
        with read_session(engine) as session:
            return list(
                session.execute(
                    select(*columns)
                    .join(Patient, Patient.id == FollowUpContact.patient_id)
                    .where(Patient.mrn.startswith(stem))
                    .order_by(FollowUpContact.contacted_on, FollowUpContact.id)
                ).all()
            )
    finally:
        engine.dispose()


def _declined(db: str, stem: str) -> list[str]:
    rows = _logged(db, stem, Patient.mrn, FollowUpContact.outcome, FollowUpContact.time_point)
    assert {(outcome, point) for _, outcome, point in rows} == {("declined", "6 weeks")}
    return sorted(mrn for mrn, _, _ in rows)


def _letters_audited(db: str, stem: str) -> int:
    engine = make_engine(db)
    try:
        with read_session(engine) as session:
            return len(
                session.execute(
                    select(AuditEntry.id)
                    .join(Patient, Patient.id == AuditEntry.patient_id)
                    .where(AuditEntry.action == "export_letters", Patient.mrn.startswith(stem))
                ).all()
            )
    finally:
        engine.dispose()


def _every_one_found(page_of_size, url: str, text: str, overdue: int):
    """Staff sign in at 1280x720, open Follow-ups, find these MRNs (`overdue` of them listed overdue) and
    choose every follow-up listed, as they do; the page."""
    page = page_of_size(1280, 720)
    sign_in_as_staff(page, url)
    page.get_by_role("link", name="Follow-ups").click()
    expect(page.get_by_role("heading", name="Follow-ups")).to_be_visible()
    finder = page.get_by_role("textbox", name="Find")
    type_into(finder, text)
    finder.press("Enter")
    expect(page.get_by_role("heading", name=f"Overdue ({overdue})")).to_be_visible()
    settled(page)
    page.get_by_text(f"Every follow-up listed above ({overdue})").click()
    return page


def test_ten_overdue_patients_get_an_attempt_each_ten_letters_and_count_as_lost(page_of_size, demo_url, demo_db):
    stem = _ten_overdue(demo_db)
    page = _every_one_found(page_of_size, demo_url, stem, overdue=10)
    expect(page.get_by_text("10 follow-ups chosen.")).to_be_visible()
    settled(page)
    choose_option(page, "Outcome", "Declined")
    page.get_by_role("button", name="Log the attempt").click()
    toast_then_settled(page, "Logged “Declined” for 10 follow-ups.")
    assert _declined(demo_db, stem) == [f"{stem}-{i}" for i in range(10)]

    with page.expect_download() as downloading:
        page.get_by_role("button", name="Reminder letters (PDF, 10 letters)").click()
    pages = [p.extract_text() for p in PdfReader(downloading.value.path()).pages]
    assert len(pages) == 10
    assert sorted(re.search(r"Dear (Otto Reach\d),", text)[1] for text in pages) == [
        f"Otto Reach{i}" for i in range(10)
    ]
    assert all("6-week follow-up visit" in text and "Declined" not in text for text in pages)
    assert _letters_audited(demo_db, stem) == 10  # one entry under each patient

    page.get_by_role("link", name="Cohort").click()
    row = page.get_by_role("row").filter(has=page.get_by_text("6 weeks", exact=True))
    expect(row).to_be_visible()
    cells = row.locator("td")
    closed = int(cells.nth(0).inner_text().replace(",", ""))
    # no other patient of the demo has a contact log: the ten are the only ones lost at 6 weeks
    expect(cells.nth(2)).to_have_text(f"{100 * 10 / closed:.0f} % (10)")  # lost to follow-up
    expect(cells.nth(3)).to_have_text(f"{100 * 10 / closed:.0f} % (10)")  # declined


def _unreachable(db: str) -> str:
    """One discectomy 60 days ago (the 6-week window closed 4 days ago), three unanswered attempts logged for
    it: unreachable. The second was logged for the wrong patient. Returns the MRN."""
    mrn = unique_mrn("VOID")
    engine = make_engine(db)
    try:
        with write_session(engine) as session:
            set_actor(session, "e2e-setup")
            patient = register_patient(session, {"mrn": mrn, "display_name": "Vera Void"})
            surgery_day = date.today() - timedelta(days=60)
            add_surgery(session, patient.id, {"surgery_date": surgery_day, "procedure": "discectomy"})
            point = TimePoint(patient.id, surgery_day, 6, "6 weeks")
            for days_ago, outcome in ((3, "no_answer"), (2, "left_message"), (1, "letter_sent")):
                raw = {"outcome": outcome, "contacted_on": (date.today() - timedelta(days=days_ago)).isoformat()}
                log_contacts(session, [point], raw, "e2e-setup")
    finally:
        engine.dispose()
    return mrn


def _voids(db: str, mrn: str) -> list[tuple[str, str | None, str | None]]:
    rows = _logged(db, mrn, FollowUpContact.outcome, FollowUpContact.void_reason, FollowUpContact.voided_by)
    return [(row.outcome, row.void_reason, row.voided_by) for row in rows]


def test_staff_void_an_attempt_logged_in_error_and_the_patient_is_no_longer_unreachable(
    page_of_size, demo_url, demo_db
):
    mrn = _unreachable(demo_db)
    page = _every_one_found(page_of_size, demo_url, mrn, overdue=1)
    expect(page.get_by_text("Contact log of the follow-ups chosen (3 attempts)")).to_be_visible()
    settled(page)

    page.get_by_role("button", name="Void this attempt").click()  # nothing chosen, no reason: refused
    expect(page.get_by_text("Reason for voiding is required").first).to_be_visible()
    settled(page)
    wrong = f"{mrn} · Vera Void · born unknown · 6-week follow-up · {date.today() - timedelta(days=2)}"
    choose_option(page, "Attempt", f"{wrong} · Left a message · by e2e-setup")
    type_into(page.get_by_role("textbox", name="Reason for voiding"), "logged for the wrong patient")
    page.get_by_role("button", name="Void this attempt").click()

    question = page.get_by_role("dialog")
    expect(question).to_contain_text("voided because: logged for the wrong patient")
    assert [reason for _, reason, _ in _voids(demo_db, mrn)] == [None, None, None]  # not before it is confirmed
    question.get_by_role("button", name="Void it").click()
    toast_then_settled(page, "Voided the attempt")
    assert _voids(demo_db, mrn) == [
        ("no_answer", None, None),
        ("left_message", "logged for the wrong patient", "staff"),
        ("letter_sent", None, None),
    ]
    expect(page.get_by_text("Contact log of the follow-ups chosen (3 attempts, 1 of them voided)")).to_be_visible()
    # two unanswered attempts left, three make a patient unreachable: no longer listed as unreachable
    choose_option(page, "Outreach", "Unreachable after 3 attempts")
    page.keyboard.press("Escape")  # the list of states closed, as a person closes it to read the page
    expect(page.get_by_role("heading", name="Overdue (0)")).to_be_visible()
