"""A long worklist comes a page at a time, in severity order, and the page picker follows the filters."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from data_model.access import accounts
from data_model.audit import set_actor
from data_model.db import make_engine, run_write
from data_model.migrate import upgrade
from sample_data.generator import generate_cohort
from sample_data.writer import write_cohort
from tests.app.conftest import PASSWORDS, signed_in_app


@pytest.fixture(scope="module")
def big_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("paging") / "big.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    write_cohort(engine, generate_cohort(400, seed=4, today=date.today()))
    run_write(engine, lambda s: accounts.add_user(set_actor(s, "fixture"), "doc", "clinician", PASSWORDS["doc"], "Doc"))
    engine.dispose()
    return path


@pytest.fixture
def big_clinic(big_template, tmp_path, monkeypatch):
    path = tmp_path / "big.db"
    shutil.copy(big_template, path)
    monkeypatch.setenv("PAINTRAIL_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("PAINTRAIL_DEMO", raising=False)


def _mrns(at):
    return list(at.dataframe[0].value["MRN"])


def test_the_worklist_shows_fifty_patients_a_page_and_the_next_page_goes_on(big_clinic):
    at = signed_in_app("doc").run()
    assert not at.exception
    flagged = int(at.metric[0].value.replace(",", ""))
    assert flagged > 100  # the seeded cohort flags well over two pages
    first = _mrns(at)
    assert len(first) == 50
    assert "1–50 of" in at.caption[0].value or any("1–50 of" in c.value for c in at.caption)
    assert len(_patient_choice(at).options) == 50  # only this page's patients to open
    at.number_input(key="wl_page").set_value(2).run()
    second = _mrns(at)
    assert len(second) == 50 and not set(first) & set(second)
    at.selectbox(key="wl_page_size").set_value(25).run()
    assert len(_mrns(at)) == 25


def test_the_last_page_holds_the_rest_and_a_filter_brings_the_page_back_in_range(big_clinic):
    at = signed_in_app("doc").run()
    flagged = int(at.metric[0].value.replace(",", ""))
    last = -(-flagged // 50)
    at.number_input(key="wl_page").set_value(last).run()
    assert len(_mrns(at)) == flagged - 50 * (last - 1)
    at.multiselect(key="wl_flags").set_value(["OVERDUE_FOLLOW_UP"]).run()
    assert not at.exception
    fewer = int(at.metric[0].value.replace(",", ""))
    assert fewer <= 50 * (last - 1)  # the chosen page no longer exists
    assert 0 < len(_mrns(at)) <= min(fewer, 50)
    assert not [w.value for w in at.warning]  # no "widget value set via Session State" complaint


def _patient_choice(at):
    """The choice of patient under the list (its key changes with the page shown, so that it starts at the top)."""
    return next(box for box in at.selectbox if box.label == "Patient")
