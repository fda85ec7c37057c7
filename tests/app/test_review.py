"""Flag review: a clinician marks a patient's flags reviewed; the worklist hides them until new data."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from data_model.audit import set_actor
from data_model.commands import save_settings
from data_model.db import make_engine, read_session, write_session
from data_model.models import FlagReview
from data_model.settings import DEFAULT_SETTINGS


def _open_patient(at, mrn):
    at.run()
    at.switch_page("pages/patient.py").run()
    at.text_input(key="pt_query").input(mrn).run()
    return at


def test_a_reviewed_patient_leaves_the_worklist_until_new_data_arrives(as_user):
    at = _open_patient(as_user("doc"), "PERSIST1")
    at.text_input(key="review_note").input("SCS trial booked")
    at.button(key="FormSubmitter:review_form_1-Mark flags reviewed").click().run()
    assert "Reviewed: Persistent pain" in at.success[0].value
    assert any("SCS trial booked" in c.value for c in at.caption)

    at.switch_page("pages/worklist.py").run()
    assert "PERSIST1" not in set(at.dataframe[0].value["MRN"])
    at.toggle(key="wl_show_reviewed").set_value(True).run()
    assert "PERSIST1" in set(at.dataframe[0].value["MRN"])
    reviewed = at.dataframe[0].value.set_index("MRN").loc["PERSIST1", "Reviewed"]
    assert reviewed.startswith("doc, ") and reviewed.endswith(": SCS trial booked")  # who, when, the note

    at.switch_page("pages/enter_visit.py").run()
    at.text_input(key="ef_query").input("PERSIST1").run()
    at.text_input(key="v_leg_0").input("7.5")
    at.button(key="FormSubmitter:visit_form_0-Save visit").click().run()
    at.switch_page("pages/worklist.py").run()
    at.toggle(key="wl_show_reviewed").set_value(False).run()
    assert "PERSIST1" in set(at.dataframe[0].value["MRN"]), "new data ends the review"


def test_staff_see_the_flags_but_cannot_review_them(as_user):
    at = _open_patient(as_user("nurse"), "PERSIST1")
    assert not at.exception
    assert not [b for b in at.button if "review" in (b.label or "").lower()]


def test_a_review_without_a_note_is_refused_and_names_the_field(as_user):
    at = _open_patient(as_user("doc"), "PERSIST1")
    at.button(key="FormSubmitter:review_form_1-Mark flags reviewed").click().run()
    assert not at.exception
    assert "Review note is required" in at.error[0].value
    assert not at.success
    at.switch_page("pages/worklist.py").run()
    assert "PERSIST1" in set(at.dataframe[0].value["MRN"]), "nothing was saved: the patient stays on the list"


def test_an_undone_review_puts_the_patient_back_on_the_worklist(as_user):
    at = _open_patient(as_user("doc"), "PERSIST1")
    at.text_input(key="review_note").input("Booked by mistake")
    at.button(key="FormSubmitter:review_form_1-Mark flags reviewed").click().run()
    undo = next(b for b in at.button if b.label == "Undo this review")
    undo.click().run()
    assert "Review undone" in at.success[0].value
    assert not [c for c in at.caption if c.value.startswith("Reviewed by")]
    at.switch_page("pages/worklist.py").run()
    assert "PERSIST1" in set(at.dataframe[0].value["MRN"])


def test_the_review_time_reads_in_the_site_time_zone_and_names_it(as_user, app_db):
    engine = make_engine(app_db)
    with write_session(engine) as session:
        save_settings(set_actor(session, "boss"), replace(DEFAULT_SETTINGS, time_zone="Asia/Tokyo"))
    at = _open_patient(as_user("doc"), "PERSIST1")
    at.text_input(key="review_note").input("SCS trial booked")
    at.button(key="FormSubmitter:review_form_1-Mark flags reviewed").click().run()
    with read_session(engine) as session:
        stored = session.scalars(select(FlagReview.reviewed_at)).one()  # UTC
    tokyo = stored.replace(tzinfo=None) + timedelta(hours=9)  # Japan keeps no summer time
    expected = f"{tokyo:%Y-%m-%d %H:%M} JST"
    assert any(c.value.startswith(f"Reviewed by doc on {expected} ") for c in at.caption)
    at.switch_page("pages/worklist.py").run()
    at.toggle(key="wl_show_reviewed").set_value(True).run()
    reviewed = at.dataframe[0].value.set_index("MRN").loc["PERSIST1", "Reviewed"]
    assert reviewed == f"doc, {expected}: SCS trial booked"
