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


def _declined(db: str, stem: str) -> list[str]:
    engine = make_engine(db)
    try:
        with read_session(engine) as session:
            rows = session.execute(
                select(Patient.mrn, FollowUpContact.outcome, FollowUpContact.time_point)
                .join(Patient, Patient.id == FollowUpContact.patient_id)
                .where(Patient.mrn.startswith(stem))
            ).all()
    finally:
        engine.dispose()
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


def test_ten_overdue_patients_get_an_attempt_each_ten_letters_and_count_as_lost(page_of_size, demo_url, demo_db):
    stem = _ten_overdue(demo_db)
    page = page_of_size(1280, 720)
    sign_in_as_staff(page, demo_url)
    page.get_by_role("link", name="Follow-ups").click()
    expect(page.get_by_role("heading", name="Follow-ups")).to_be_visible()
    finder = page.get_by_role("textbox", name="Find")
    type_into(finder, stem)
    finder.press("Enter")
    expect(page.get_by_role("heading", name="Overdue (10)")).to_be_visible()
    settled(page)

    page.get_by_text("Every follow-up listed above (10)").click()
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
