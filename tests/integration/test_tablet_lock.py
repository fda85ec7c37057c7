"""The tablet lock on a sign-in: set by staff for one patient, read by every check of the browser's token,
sent once, and lifted only by ending that sign-in; a tablet gets no file of the app."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from dashboard import web
from data_model import commands, odi
from data_model.access import accounts, sign_ins, tablet
from data_model.audit import set_actor
from data_model.db import read_session, run_write
from data_model.models import AuditEntry, Visit
from data_model.validation import ValidationFailed

IDLE = timedelta(minutes=30)


@pytest.fixture
def desk(engine):
    """(engine, the token of nurse's browser, its sign-in id, a patient id)."""

    def setup(s):
        set_actor(s, "setup")
        accounts.add_user(s, "nurse", "staff", "nurse-password")
        return commands.register_patient(s, {"mrn": "TAB1", "display_name": "Tess Tablet"}).id

    patient_id = run_write(engine, setup)
    code = run_write(engine, lambda s: sign_ins.start(set_actor(s, "nurse"), "nurse"))
    token = run_write(engine, lambda s: sign_ins.claim(s, code, IDLE))
    assert token
    sign_in_id = sign_ins.check(engine, token, IDLE).sign_in_id
    return engine, token, sign_in_id, patient_id


def _start(engine, sign_in_id, patient_id):
    run_write(engine, lambda s: tablet.start(set_actor(s, "nurse"), sign_in_id, patient_id))


def _raw(**values):
    return {"visit_date": date.today(), **values}


def test_an_ordinary_sign_in_is_no_tablet(desk):
    engine, token, _, _ = desk
    assert sign_ins.check(engine, token, IDLE).tablet is None


def test_once_started_every_check_of_the_token_finds_the_patients_questionnaire(desk):
    engine, token, sign_in_id, patient_id = desk
    _start(engine, sign_in_id, patient_id)

    for touch in (True, False):  # the page's check and the timer's
        assert sign_ins.check(engine, token, IDLE, touch=touch).tablet == tablet.Tablet(
            tablet.QUESTIONNAIRE, patient_id
        )


def test_the_answers_become_a_patient_visit_and_the_tablet_moves_to_its_thank_you_page(desk):
    engine, token, sign_in_id, patient_id = desk
    _start(engine, sign_in_id, patient_id)
    sections = {odi.column(key): 1 for key in odi.KEYS} | {odi.column("sex_life"): None}

    run_write(engine, lambda s: tablet.submit(set_actor(s, "nurse"), sign_in_id, _raw(back_pain=6, **sections)))

    assert sign_ins.check(engine, token, IDLE).tablet == tablet.Tablet(tablet.THANKS, patient_id)
    with read_session(engine) as s:
        visit = s.scalars(select(Visit)).one()
        assert (visit.patient_id, visit.source, visit.back_pain) == (patient_id, "patient", 6)
        assert visit.odi == pytest.approx(20.0)  # 9 × 1 / (5 × 9) × 100


def test_the_answers_are_sent_once(desk):
    engine, _, sign_in_id, patient_id = desk
    _start(engine, sign_in_id, patient_id)
    run_write(engine, lambda s: tablet.submit(set_actor(s, "nurse"), sign_in_id, _raw(back_pain=6)))

    with pytest.raises(tablet.TabletClosed):
        run_write(engine, lambda s: tablet.submit(set_actor(s, "nurse"), sign_in_id, _raw(back_pain=2)))
    with read_session(engine) as s:
        assert s.scalars(select(Visit.back_pain)).all() == [6]


def test_a_sign_in_that_is_no_tablet_saves_no_self_report(desk):
    engine, _, sign_in_id, _ = desk
    with pytest.raises(tablet.TabletClosed):
        run_write(engine, lambda s: tablet.submit(set_actor(s, "nurse"), sign_in_id, _raw(back_pain=6)))


def test_a_self_report_the_same_day_as_a_staff_visit_is_kept_beside_it(desk):
    engine, _, sign_in_id, patient_id = desk
    run_write(engine, lambda s: commands.add_visit(set_actor(s, "nurse"), patient_id, _raw(back_pain=3)))
    _start(engine, sign_in_id, patient_id)

    run_write(engine, lambda s: tablet.submit(set_actor(s, "nurse"), sign_in_id, _raw(back_pain=6)))

    with read_session(engine) as s:
        assert sorted(s.execute(select(Visit.source, Visit.back_pain)).all()) == [("form", 3), ("patient", 6)]


def test_a_tablet_is_not_started_twice_nor_on_an_ended_sign_in(desk):
    engine, _, sign_in_id, patient_id = desk
    _start(engine, sign_in_id, patient_id)
    with pytest.raises(ValidationFailed):
        _start(engine, sign_in_id, patient_id)
    run_write(engine, lambda s: sign_ins.end(set_actor(s, "nurse"), sign_in_id, sign_ins.SIGNED_OUT))
    with pytest.raises(ValidationFailed):
        run_write(engine, lambda s: tablet.start(set_actor(s, "nurse"), sign_in_id, patient_id))


def test_handing_the_tablet_back_ends_its_sign_in_and_is_audited_under_the_patient(desk):
    engine, token, sign_in_id, patient_id = desk
    _start(engine, sign_in_id, patient_id)

    back_to = run_write(engine, lambda s: tablet.leave(set_actor(s, "doc"), sign_in_id))

    assert back_to == patient_id
    check = sign_ins.check(engine, token, IDLE)
    assert check.user is None and check.ended == tablet.LEFT, "the token the patient held signs no one in"
    with read_session(engine) as s:
        events = s.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.detail).where(AuditEntry.patient_id == patient_id)
        ).all()
    assert ("nurse", "self_report_started") in [(a, b) for a, b, _ in events]
    assert ("doc", "self_report_handed_back", '{"sent": false}') in events


def test_a_tablet_is_served_no_file_of_the_app(desk, monkeypatch):
    engine, token, sign_in_id, patient_id = desk
    monkeypatch.setattr(web, "server_engine", lambda: engine)
    chart = type("File", (), {"kind": "media", "content": b"chart"})()  # an image a staff page drew
    assert web.judge_media_request(chart, token, "GET", None) is web.Verdict.SERVE

    _start(engine, sign_in_id, patient_id)

    assert web.judge_media_request(chart, token, "GET", None) is web.Verdict.REFUSE
