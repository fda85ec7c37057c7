"""Sign-in in a real browser: it follows the account, belongs to the browser that made it, survives a reload,
and pages, patients and worklist filters live in the address."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from dashboard.demo import DEMO_ACCOUNTS
from data_model.access import accounts
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, run_write
from data_model.models import Patient
from tests.e2e.conftest import open_expander, sign_in

PASSWORD = {name: password for name, _role, password in DEMO_ACCOUNTS}
PATIENT_HEADING = re.compile(r"^MRN\d+ · ")


@pytest.fixture(scope="module")
def demo_engine(demo_db):
    engine = make_engine(demo_db)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def a_patient(demo_engine) -> tuple[int, str]:
    """(id, MRN) of a patient of the demo cohort."""
    with read_session(demo_engine) as session:
        row = session.execute(select(Patient.id, Patient.mrn).order_by(Patient.id).offset(7).limit(1)).one()
    return row.id, row.mrn


def _sign_in_page(page):
    return page.get_by_role("button", name="Sign in")


def test_an_admin_demoted_and_deactivated_while_signed_in_loses_accounts_and_audit_at_the_next_click(
    page, demo_url, demo_engine
):
    run_write(demo_engine, lambda s: accounts.add_user(set_actor(s, "admin"), "deputy", "admin", "deputy-password"))
    sign_in(page, demo_url, "deputy", "deputy-password")
    page.get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()

    run_write(
        demo_engine,
        lambda s: accounts.update_account(
            set_actor(s, "admin"), "deputy", role="staff", active=False, acting_admin="admin"
        ),
    )

    page.get_by_role("link", name="Audit trail").click()
    expect(_sign_in_page(page)).to_be_visible()
    expect(page.get_by_text("your account was changed")).to_be_visible()
    expect(page.get_by_role("heading", name="Audit trail")).to_have_count(0)
    page.goto(demo_url + "/users")
    expect(_sign_in_page(page)).to_be_visible()
    expect(page.get_by_role("heading", name="Accounts")).to_have_count(0)


def _session_ids(page) -> list[str]:
    """The Streamlit session ids the server gives this page, as they arrive (read from its websocket)."""
    seen: list[str] = []

    def frame(payload) -> None:
        if isinstance(payload, bytes | bytearray):
            message = ForwardMsg()
            message.ParseFromString(payload)
            if message.WhichOneof("type") == "new_session" and message.new_session.HasField("initialize"):
                seen.append(message.new_session.initialize.session_id)

    page.on("websocket", lambda ws: ws.on("framereceived", frame))
    return seen


PRESENT_SESSION_ID = """
(() => {
  const Native = window.WebSocket;
  function Presenting(url, protocols) {
    const list = Array.from(protocols || []);
    while (list.length < 2) list.push("PLACEHOLDER_AUTH_TOKEN");
    list[2] = %s;
    return new Native(url, list);
  }
  Presenting.prototype = Native.prototype;
  Object.assign(Presenting, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Presenting;
})();
"""


def test_a_second_browser_presenting_a_signed_in_session_id_sees_the_sign_in_page(page, browser, demo_url):
    session_ids = _session_ids(page)
    sign_in(page, demo_url, "admin", PASSWORD["admin"])
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    stolen = session_ids[-1]

    other = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        thief = other.new_page()
        thief.add_init_script(PRESENT_SESSION_ID % json.dumps(stolen))
        thief_ids = _session_ids(thief)
        thief.goto(demo_url)
        expect(_sign_in_page(thief)).to_be_visible()
        assert stolen in thief_ids, "the server did not resume the presented session"
        expect(thief.get_by_role("heading", name="Worklist")).to_have_count(0)
        expect(thief.locator("[data-testid='stDataFrame']")).to_have_count(0)
        expect(thief.get_by_role("link", name="Accounts")).to_have_count(0)
    finally:
        other.close()


@pytest.fixture(scope="module")
def clinician_on_a_patient(browser, demo_url):
    """A clinician's browser signed in, showing a patient opened from the worklist: (page, its heading)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, demo_url, "clinician", PASSWORD["clinician"])
    page.get_by_role("button", name="Open patient").click()
    heading = page.get_by_role("heading", name=PATIENT_HEADING)
    expect(heading).to_be_visible()
    yield page, heading.inner_text()
    context.close()


def test_a_reload_keeps_a_signed_in_clinician_on_the_same_patient(clinician_on_a_patient):
    page, shown = clinician_on_a_patient
    assert re.search(r"/patient\?patient=\d+$", page.url)

    page.reload()
    expect(page.get_by_role("heading", name=shown)).to_be_visible()
    expect(_sign_in_page(page)).to_have_count(0)


def test_a_patient_page_opened_in_a_new_tab_of_the_same_browser_shows_that_patient(clinician_on_a_patient):
    page, shown = clinician_on_a_patient
    tab = page.context.new_page()
    tab.goto(page.url)
    expect(tab.get_by_role("heading", name=shown)).to_be_visible()
    tab.close()


def test_a_patient_link_opened_before_signing_in_lands_on_that_patient_after_it(page, demo_url, a_patient):
    patient_id, mrn = a_patient
    sign_in(page, f"{demo_url}/patient?patient={patient_id}", "clinician", PASSWORD["clinician"])
    expect(page.get_by_role("heading", name=re.compile(f"^{mrn} · "))).to_be_visible()
    assert page.url.endswith(f"/patient?patient={patient_id}")


def _procedure_filter(page):
    return page.get_by_test_id("stMultiSelect").filter(has=page.get_by_role("combobox", name="Procedure"))


def _procedures_listed(page, procedure: str):
    """The worklist's procedure cells (the table draws on a canvas; its cells are readable, not visible)."""
    return page.locator("[role='gridcell']").filter(has_text=re.compile(f"^{procedure}$"))


def test_worklist_filters_chosen_by_hand_survive_a_reload(page, demo_url):
    sign_in(page, demo_url, "clinician", PASSWORD["clinician"])
    expect(_procedures_listed(page, "Laminectomy")).not_to_have_count(0)
    open_expander(page, "Filters")
    page.get_by_role("combobox", name="Procedure").click()
    page.get_by_role("option", name=re.compile("^Fusion")).click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"[?&]procedure=fusion"))

    page.reload()
    expect(_procedures_listed(page, "Fusion")).not_to_have_count(0)
    expect(_procedures_listed(page, "Laminectomy")).to_have_count(0)
    open_expander(page, "Filters")
    expect(_procedure_filter(page)).to_contain_text("Fusion")
