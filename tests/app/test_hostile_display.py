"""Hostile text typed by users (names, notes, surgeons, review notes) is shown as the literal text:
markdown gets it escaped (dashboard.formatting.plain), tables show it as data, nothing renders as
markup, a link or a script."""

from __future__ import annotations

import re
from datetime import date, timedelta

from data_model import commands
from data_model.audit import set_actor
from data_model.db import make_engine, run_write
from dashboard.formatting import plain

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
        commands.add_surgery(session, patient.id, {"surgery_date": surgery_day, "procedure": "fusion",
                                                    "surgeon": HOSTILE_SURGEON, "notes": HOSTILE_NOTES})
        for weeks, pain in ((-1, 7), (30, 8), (38, 8)):
            commands.add_visit(session, patient.id, {"visit_date": surgery_day + timedelta(weeks=weeks),
                                                      "back_pain": pain, "leg_pain": pain, "notes": HOSTILE_NOTES})
        commands.add_treatment(session, patient.id, {"treatment": "physical_therapy",
                                                      "start_date": surgery_day + timedelta(weeks=8),
                                                      "notes": HOSTILE_NOTES})
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
    assert any("notes" in t and (t["notes"] == HOSTILE_NOTES).sum() == 3 for t in tables), "visits show the notes"
    assert any((t.get("surgeon") == HOSTILE_SURGEON).any() for t in tables if "surgeon" in t)
