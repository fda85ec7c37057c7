"""Flag reviews as the clinic works with them: a note is required, a re-check date brings the patient back,
a review can be undone (audited), and looking back to before a review shows the patient (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from data_model import commands, queries
from data_model.audit import set_actor
from data_model.db import read_session, run_write
from data_model.models import AuditEntry, FlagReview
from data_model.services.worklist import flag_worklist
from data_model.validation import ValidationFailed

TODAY = date.today()


def _flagged_patient(engine) -> int:
    """A discectomy 200 days ago, baseline 8, still 7/10 a month ago: persistent pain."""

    def action(session):
        set_actor(session, "nurse1")
        patient = commands.register_patient(session, {"mrn": "R100", "display_name": "Rae Review", "sex": "female"})
        surgery_day = TODAY - timedelta(days=200)
        commands.add_surgery(session, patient.id, {"surgery_date": surgery_day, "procedure": "discectomy"})
        for days_before, pain in ((205, 8), (40, 7), (30, 7)):
            day = TODAY - timedelta(days=days_before)
            commands.add_visit(session, patient.id, {"visit_date": day, "back_pain": pain, "leg_pain": pain})
        return patient.id

    return run_write(engine, action)


def _reviewed(engine, patient_id: int, as_of: date) -> bool | None:
    """Whether the patient is on the worklist as reviewed (None: not on the list at all)."""
    with read_session(engine) as session:
        rows = flag_worklist(session, as_of)
    row = rows[rows["patient_id"] == patient_id]
    return None if row.empty else bool(row["reviewed"].iloc[0])


def _review(engine, patient_id: int, note: str | None, recheck: date | None = None) -> int:
    """Review every flag the patient has today, as the patient page does."""
    with read_session(engine) as session:
        rows = flag_worklist(session, TODAY)
    codes = rows.loc[rows["patient_id"] == patient_id, "flags"].iloc[0].split(";")
    assert "PERSISTENT_PAIN" in codes
    return run_write(
        engine, lambda s: commands.review_flags(set_actor(s, "doc"), patient_id, codes, note, "doc", recheck).id
    )


@pytest.mark.parametrize("note", ["", "   ", None])
def test_a_review_without_a_note_is_refused_naming_the_note_and_nothing_is_saved(engine, note):
    patient_id = _flagged_patient(engine)
    with pytest.raises(ValidationFailed) as refused:
        _review(engine, patient_id, note)
    assert [e.field for e in refused.value.errors] == ["note"]
    assert "required" in refused.value.errors[0].message
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(FlagReview)) == 0


def test_a_review_hides_the_patient_today_but_not_looking_back_to_before_it(engine):
    patient_id = _flagged_patient(engine)
    assert _reviewed(engine, patient_id, TODAY) is False
    _review(engine, patient_id, "SCS trial booked")
    assert _reviewed(engine, patient_id, TODAY) is True
    assert _reviewed(engine, patient_id, TODAY - timedelta(days=1)) is False  # the list as it stood then


def test_the_patient_returns_on_the_recheck_date(engine):
    patient_id = _flagged_patient(engine)
    _review(engine, patient_id, "Re-assess after the block", recheck=TODAY + timedelta(days=14))
    assert _reviewed(engine, patient_id, TODAY + timedelta(days=13)) is True
    assert _reviewed(engine, patient_id, TODAY + timedelta(days=14)) is False


def test_a_recheck_date_must_be_after_today(engine):
    patient_id = _flagged_patient(engine)
    with pytest.raises(ValidationFailed) as refused:
        _review(engine, patient_id, "note", recheck=TODAY)
    assert [e.field for e in refused.value.errors] == ["recheck_on"]


def test_an_undone_review_no_longer_holds_and_the_undo_is_audited(engine):
    patient_id = _flagged_patient(engine)
    review_id = _review(engine, patient_id, "Booked by mistake")
    run_write(engine, lambda s: commands.undo_review(set_actor(s, "doc2"), review_id, "doc2"))
    assert _reviewed(engine, patient_id, TODAY) is False
    with read_session(engine) as session:
        assert queries.latest_review(session, patient_id) is None
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "flag_reviews", AuditEntry.action == "update")
        ).one()
    assert entry.actor == "doc2" and entry.patient_id == patient_id
    assert json.loads(entry.before)["undone_at"] is None
    assert json.loads(entry.after)["undone_by"] == "doc2"
    with pytest.raises(ValidationFailed):
        run_write(engine, lambda s: commands.undo_review(set_actor(s, "doc2"), review_id, "doc2"))


def test_undoing_the_latest_review_leaves_the_earlier_one_in_force(engine):
    patient_id = _flagged_patient(engine)
    _review(engine, patient_id, "First look")
    second = _review(engine, patient_id, "Second look")
    run_write(engine, lambda s: commands.undo_review(set_actor(s, "doc"), second, "doc"))
    with read_session(engine) as session:
        assert queries.latest_review(session, patient_id)["note"] == "First look"
    assert _reviewed(engine, patient_id, TODAY) is True
