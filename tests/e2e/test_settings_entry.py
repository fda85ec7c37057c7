"""Changing a setting in a real browser at 1280×720, typed as an administrator types it: a value out of range
is refused naming the setting and what was typed, and nothing changes; a valid one is saved and said in words."""

from __future__ import annotations

from playwright.sync_api import expect

from data_model.audit import set_actor
from data_model.commands import save_settings
from data_model.db import make_engine, read_session, write_session
from data_model.queries import load_settings
from data_model.settings import DEFAULT_SETTINGS
from tests.e2e.staff_desk import admin_on, field, settled, type_into

MCID = "Meaningful improvement in pain (MCID), points"


def _stored_mcid(db: str) -> float:
    engine = make_engine(db)
    try:
        with read_session(engine) as session:
            return load_settings(session).mcid_nrs_points
    finally:
        engine.dispose()


def _restore_defaults(db: str) -> None:
    """The demo database is shared by every browser test: the flags they expect follow the defaults."""
    engine = make_engine(db)
    try:
        with write_session(engine) as session:
            save_settings(set_actor(session, "e2e-setup"), DEFAULT_SETTINGS)
    finally:
        engine.dispose()


def test_an_out_of_range_setting_is_refused_by_name_and_a_valid_one_is_saved_in_words(page_of_size, demo_url, demo_db):
    page = admin_on(page_of_size(1280, 720), demo_url, "settings")
    assert _stored_mcid(demo_db) == 2.0
    try:
        type_into(field(page, MCID), "12")
        page.get_by_role("button", name="Save settings").click()
        refusal = page.get_by_test_id("stToast").filter(has_text="Nothing was saved")
        expect(refusal).to_contain_text("Meaningful improvement in pain (MCID): “12” must be between 0 and 10.")
        expect(refusal).to_be_in_viewport()
        settled(page)
        assert _stored_mcid(demo_db) == 2.0, "a refused value changes nothing"
        expect(field(page, MCID)).to_have_value("12")  # what was typed stays, to be corrected

        type_into(field(page, MCID), "2,5")  # a decimal comma, as many clinics type it
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_test_id("stToast").filter(has_text="Saved")).to_contain_text(
            "Meaningful improvement in pain (MCID): 2 → 2.5 points"
        )
        settled(page)
        assert _stored_mcid(demo_db) == 2.5
    finally:
        _restore_defaults(demo_db)
