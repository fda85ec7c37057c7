"""Hostile text typed by users (names, notes, surgeons, review notes) is shown as the literal text:
markdown gets it escaped (dashboard.formatting.plain), tables show it as data, nothing renders as
markup, a link or a script."""

from __future__ import annotations

import re
from datetime import date, timedelta

from dashboard.formatting import plain
from data_model import commands
from data_model.audit import set_actor
from data_model.db import make_engine, run_write
from tests.app.conftest import add_account_on_page

HOSTILE_NAME = "<script>alert(1)</script> **bold** [x](javascript:alert(1))"
HOSTILE_NOTES = '<img src=x onerror="alert(1)"><script>alert(2)</script> <b>bold</b> # heading _em_ `code`'
HOSTILE_SURGEON = "Dr <i>Evil</i> [site](http://evil.example)"
HOSTILE_REVIEW = "<script>alert(3)</script> see [here](javascript:alert(3)) ~~gone~~"
RAW = (HOSTILE_NAME, HOSTILE_NOTES, HOSTILE_SURGEON, HOSTILE_REVIEW)
UNESCAPED_TAG = re.compile(r"(?<!\\)<\s*/?\s*(script|img|b|i|svg)\b", re.IGNORECASE)
UNESCAPED_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\((?i:javascript|http)")
MARKDOWN_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error")


def _add_hostile_patient(url: str) -> None:
    today = date.today()
    surgery_day = today - timedelta(weeks=40)

    def action(session):
        set_actor(session, "nurse")
        patient = commands.register_patient(session, {"mrn": "HOSTILE1", "display_name": HOSTILE_NAME, "sex": "male"})
        commands.add_surgery(
            session,
            patient.id,
            {"surgery_date": surgery_day, "procedure": "fusion", "surgeon": HOSTILE_SURGEON, "notes": HOSTILE_NOTES},
        )
        for weeks, pain in ((-1, 7), (30, 8), (38, 8)):
            commands.add_visit(
                session,
                patient.id,
                {
                    "visit_date": surgery_day + timedelta(weeks=weeks),
                    "back_pain": pain,
                    "leg_pain": pain,
                    "notes": HOSTILE_NOTES,
                },
            )
        commands.add_treatment(
            session,
            patient.id,
            {"treatment": "physical_therapy", "start_date": surgery_day + timedelta(weeks=8), "notes": HOSTILE_NOTES},
        )
        commands.review_flags(session, patient.id, ["PERSISTENT_PAIN"], HOSTILE_REVIEW, "doc")

    engine = make_engine(url)
    try:
        run_write(engine, action)
    finally:
        engine.dispose()


def test_hostile_text_on_the_patient_page_is_shown_literally_never_as_markup(as_user, app_db):
    _add_hostile_patient(app_db)
    at = as_user("doc").run()
    at.switch_page("pages/patient.py").run()
    at.text_input(key="pt_query").input("HOSTILE1").run()

    assert not at.exception
    # The title is the name escaped character by character: markdown shows exactly what was typed.
    assert at.title[0].value == f"{plain('HOSTILE1')} · {plain(HOSTILE_NAME)}"
    captions = " ".join(c.value for c in at.caption)
    assert plain(HOSTILE_REVIEW) in captions, "the review note is shown, escaped"

    rendered = [(kind, el.value) for kind in MARKDOWN_KINDS for el in at.get(kind)]
    rendered += [("metric", f"{m.label} {m.value}") for m in at.metric]
    assert len(rendered) > 5
    for kind, text in rendered:
        assert not UNESCAPED_TAG.search(text), (kind, text)
        assert not UNESCAPED_LINK.search(text), (kind, text)
        for raw in RAW:
            assert raw not in text, (kind, text)

    # Tables show the text as data (a grid cell is never HTML): the literal notes, unchanged.
    tables = [df.value for df in at.dataframe]
    assert any("Notes" in t and (t["Notes"] == HOSTILE_NOTES).sum() == 3 for t in tables), "visits show the notes"
    assert any((t.get("Surgeon") == HOSTILE_SURGEON).any() for t in tables if "Surgeon" in t)


# A name a person could type that Markdown would turn into a link, a mail link, an image, an icon or bold.
RENDERED = (
    "Dr https://evil.example bob@evil.example www.evil.example :material/warning: ![i](http://x.example/p.png) **b**"
)


def _shown_as_text(source: str, raw: str) -> bool:
    """The element's Markdown source carries the text only in its escaped form (formatting.plain)."""
    return plain(raw) in source and raw not in source


def test_the_signed_in_accounts_display_name_in_the_sidebar_is_plain_text(as_user, app_db):
    from data_model.access import accounts

    engine = make_engine(app_db)
    try:
        run_write(
            engine,
            lambda s: accounts.add_user(set_actor(s, "fixture"), "marked", "clinician", "a long password 1", RENDERED),
        )
    finally:
        engine.dispose()
    at = as_user("marked").run()

    assert not at.exception
    sidebar = [m.value for m in at.sidebar.markdown]
    assert any(_shown_as_text(v, RENDERED) for v in sidebar), sidebar


def test_a_patient_named_with_links_and_icons_is_plain_text_in_every_place_its_name_appears(as_user, app_db):
    def action(session):
        set_actor(session, "nurse")
        patient = commands.register_patient(session, {"mrn": "www.evil.org", "display_name": RENDERED})
        commands.add_surgery(
            session,
            patient.id,
            {"surgery_date": date.today() - timedelta(weeks=30), "procedure": "fusion", "surgeon": RENDERED},
        )

    engine = make_engine(app_db)
    try:
        run_write(engine, action)
    finally:
        engine.dispose()

    patient_page = as_user("doc").run()
    patient_page.switch_page("pages/patient.py").run()
    patient_page.text_input(key="pt_query").input("www.evil.org").run()
    assert _shown_as_text(patient_page.title[0].value, RENDERED)

    entry = as_user("nurse").run()
    entry.switch_page("pages/enter_visit.py").run()
    entry.text_input(key="ef_query").input("www.evil.org").run()
    header = [m.value for m in entry.markdown if "evil" in m.value]
    assert header and all(_shown_as_text(v, RENDERED) for v in header)
    assert all(plain("www.evil.org") in v for v in header), "the MRN too: 'www.' would become a link"

    cohort = as_user("doc").run()
    cohort.switch_page("pages/cohort.py").run()
    cohort.multiselect(key="co_surgeons").select(RENDERED).run()
    assert _shown_as_text(cohort.caption[0].value, RENDERED), "the surgeon named in the cohort definition"


def test_a_search_typed_with_markdown_is_echoed_as_plain_text(as_user):
    at = as_user("doc").run()
    at.switch_page("pages/patient.py").run()
    at.text_input(key="pt_query").input(":material/warning: bob@evil.example").run()

    assert _shown_as_text(at.warning[0].value, ":material/warning: bob@evil.example")


def test_an_account_named_by_e_mail_is_plain_text_in_the_success_message(as_user):
    at = add_account_on_page(as_user, "dr.lee@clinic.org", "long-enough-password")

    assert _shown_as_text(at.success[0].value, "dr.lee@clinic.org")
