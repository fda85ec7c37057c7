"""The patient header in a real browser at 1280x720: every figure, the acceptable symptom state among them,
is shown whole, never cut to an ellipsis."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from data_model.db import make_engine, read_session
from data_model.models import Patient, Surgery
from tests.e2e.conftest import sign_in, wait_for_sign_in_cookie
from tests.e2e.staff_desk import PASSWORD, settled


def test_the_patient_header_shows_the_acceptable_state_whole(page_of_size, demo_url, demo_db):
    engine = make_engine(demo_db)
    with read_session(engine) as session:
        patient_id, mrn = session.execute(
            select(Patient.id, Patient.mrn)
            .join(Surgery, Surgery.patient_id == Patient.id)
            .order_by(Patient.id)
            .limit(1)
        ).one()
    engine.dispose()
    page = page_of_size(1280, 720)
    sign_in(page, demo_url, "clinician", PASSWORD["clinician"])
    wait_for_sign_in_cookie(page)  # the address below is opened anew: only the cookie carries the sign-in
    settled(page)
    page.goto(f"{demo_url}/patient?patient={patient_id}")
    expect(page.get_by_role("heading", name=re.compile(f"^{mrn} · "))).to_be_visible()
    settled(page)
    state = page.get_by_test_id("stMetric").filter(has_text="Acceptable state")
    expect(state.get_by_test_id("stMetricValue")).to_have_text(re.compile("^(Yes|No|missing)$"))
    values = page.get_by_test_id("stMetricValue")
    assert values.count() == 6
    for i in range(values.count()):
        cut = values.nth(i).evaluate(
            "e => [...e.querySelectorAll('*')].concat([e]).some(x => x.scrollWidth > x.clientWidth)"
        )
        assert not cut, f"header figure {values.nth(i).inner_text()!r} is cut off"
