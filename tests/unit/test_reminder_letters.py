"""Reminder letters: one PDF, one page per patient, headed and signed by the site, naming the time point,
and nothing clinical (no MRN, procedure, pain score or diagnosis) whatever the follow-up list holds."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
from pypdf import PdfReader

from dashboard.charts.letters import reminder_letters_pdf
from data_model.outreach.letters import letters_of

WRITTEN = date(2026, 12, 3)


def _rows(n: int) -> pd.DataFrame:
    """The follow-up list as the page holds it: who, which time point, and clinical columns beside."""
    return pd.DataFrame(
        {
            "patient_id": range(1, n + 1),
            "mrn": [f"MRN{i:04d}" for i in range(1, n + 1)],
            "display_name": [f"Patient Number{i}" for i in range(1, n + 1)],
            "procedure": "fusion",
            "time_point": "3 months",
            "due_date": pd.Timestamp("2026-09-07"),
            "window_start": pd.Timestamp("2026-08-17"),
            "window_end": pd.Timestamp("2026-09-28"),
            "current_pain": 7.5,
            "flags": "PERSISTENT_PAIN;NO_MEANINGFUL_IMPROVEMENT",
            "reasons": "Leg pain 7.5/10 at week 14; post-laminectomy syndrome (M96.1)",
        }
    )


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_ten_patients_make_one_pdf_of_ten_one_page_letters_in_the_list_order():
    pages = _pages(reminder_letters_pdf(letters_of(_rows(10)), "Riverside Spine Clinic", WRITTEN))
    assert len(pages) == 10
    for number, text in enumerate(pages, start=1):
        assert f"Dear Patient Number{number}," in text
        assert text.count("Number") == 2  # the name line and the greeting: no other patient on the page


def test_each_letter_names_the_site_and_the_time_point_and_asks_to_book():
    text = _pages(reminder_letters_pdf(letters_of(_rows(1)), "Riverside Spine Clinic", WRITTEN))[0]
    assert text.startswith("Riverside Spine Clinic")
    assert "3-month follow-up visit" in text
    assert "It was due around 7 September 2026" in text  # its window closed before the letter
    assert "contact Riverside Spine Clinic to book an appointment" in " ".join(text.split())
    assert "3 December 2026" in text


def test_a_letter_carries_nothing_clinical():
    text = _pages(reminder_letters_pdf(letters_of(_rows(3)), "Riverside Spine Clinic", WRITTEN))[0].lower()
    for clinical in ("mrn0001", "fusion", "pain", "7.5", "/10", "m96", "laminectomy", "flag", "improvement"):
        assert clinical not in text, clinical


def test_without_a_site_name_or_a_patient_name_the_letter_still_reads():
    rows = _rows(1).assign(display_name=None, window_end=pd.Timestamp("2027-01-10"))
    text = " ".join(_pages(reminder_letters_pdf(letters_of(rows), "", WRITTEN))[0].split())
    assert "Dear patient," in text and "contact the clinic to book" in text
    assert "ideally between 17 August 2026 and 10 January 2027" in text  # the window is still open
    assert "None" not in text
