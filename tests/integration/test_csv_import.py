"""CSV folder import: every row checked first, all or nothing, every row audited (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data_model.db import read_session
from data_model.exchange.csv_folder.folder_import import CsvImportFailed, import_csv_folder
from data_model.models import AuditEntry, Patient, Surgery, Treatment, Visit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "csv"
CLEAR_CASES = FIXTURES / "clear_cases"
BAD = FIXTURES / "bad"
TODAY = date(2026, 6, 1)
CLEAR_COUNTS = {"patients.csv": 6, "surgeries.csv": 7, "visits.csv": 34, "treatments.csv": 7}
TABLES = {"patients": Patient, "surgeries": Surgery, "visits": Visit, "treatments": Treatment, "audit": AuditEntry}


def counts(engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {name: s.execute(select(func.count()).select_from(model)).scalar_one() for name, model in TABLES.items()}


def folder(tmp_path: Path, files: dict[str, str | bytes], name: str = "upload") -> Path:
    """A hand-written CSV folder; str contents are written as UTF-8 exactly as given."""
    target = tmp_path / name
    target.mkdir()
    for filename, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (target / filename).write_bytes(data)
    return target


def problems_of(engine, path: Path) -> list[tuple[str, int | None, str | None, object]]:
    """Import path expecting failure; return (file, line, column, value) of every problem."""
    before = counts(engine)
    with pytest.raises(CsvImportFailed) as failure:
        import_csv_folder(engine, path, "nurse1", TODAY)
    assert counts(engine) == before, "a failed import must write nothing, not even an audit entry"
    return [(p.file, p.line, p.column, p.value) for p in failure.value.report.problems]


PATIENTS = "mrn,display_name\nP1,Ada Test\n"


# --- the clear cases ---------------------------------------------------------------------------


def test_the_clear_cases_import_with_the_right_counts_and_values(engine):
    report = import_csv_folder(engine, CLEAR_CASES, "nurse1", TODAY)

    assert report.ok and report.counts == CLEAR_COUNTS
    stored = counts(engine)
    assert [stored[t] for t in ("patients", "surgeries", "visits", "treatments")] == [6, 7, 34, 7]
    with read_session(engine) as s:
        ana = s.scalar(select(Patient).where(Patient.mrn == "CC-001"))
        assert (ana.display_name, ana.birth_year, ana.sex, ana.source) == ("Moreno, Ana", 1968, "female", "csv")
        decimal = s.scalar(
            select(Visit.back_pain).where(Visit.patient_id == ana.id, Visit.visit_date == date(2025, 12, 15))
        )
        assert decimal == 6.5
        dev = s.scalar(select(Patient.id).where(Patient.mrn == "CC-006"))
        blank = s.scalar(select(Visit).where(Visit.patient_id == dev, Visit.visit_date == date(2026, 5, 11)))
        assert blank.back_pain is None and blank.leg_pain == 5 and blank.numbness is True
        assert blank.source == "csv" and blank.created_by == "nurse1"
        revision = s.scalars(select(Surgery.notes).where(Surgery.surgery_date == date(2026, 5, 11))).one()
        assert revision == "revision discectomy, recurrent herniation at the same level"
        open_ended = s.scalar(select(Treatment).where(Treatment.code == "scs_implant"))
        assert open_ended.start_date == date(2025, 5, 5) and open_ended.end_date is None


def test_every_imported_row_is_audited_with_the_importing_user_and_one_import_event(engine):
    import_csv_folder(engine, CLEAR_CASES, "nurse1", TODAY)

    with read_session(engine) as s:
        inserts = s.execute(
            select(AuditEntry.table_name, func.count())
            .where(AuditEntry.action == "insert", AuditEntry.actor == "nurse1")
            .group_by(AuditEntry.table_name)
        ).all()
        assert dict(inserts) == {"patients": 6, "surgeries": 7, "visits": 34, "treatments": 7}
        event = s.scalars(select(AuditEntry).where(AuditEntry.action == "import_csv")).one()
        assert event.actor == "nurse1"
        assert json.loads(event.detail) == {"folder": "clear_cases", "rows": CLEAR_COUNTS}
        visit_entry = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "visits").limit(1)).one()
        assert json.loads(visit_entry.after)["source"] == "csv" and visit_entry.patient_id is not None


def test_a_patient_already_in_the_database_is_refused_and_its_import_adds_nothing(engine):
    import_csv_folder(engine, CLEAR_CASES, "nurse1", TODAY)

    problems = problems_of(engine, CLEAR_CASES)

    assert len(problems) == 6
    assert problems[0] == ("patients.csv", 2, "mrn", "CC-001")


def test_visits_may_refer_to_patients_already_in_the_database(engine, tmp_path):
    import_csv_folder(engine, CLEAR_CASES, "nurse1", TODAY)
    more = folder(tmp_path, {"visits.csv": "mrn,visit_date,leg_pain\nCC-002,2026-05-30,0\n"})

    report = import_csv_folder(engine, more, "nurse1", TODAY)

    assert report.counts == {"visits.csv": 1}
    assert counts(engine)["visits"] == 35


def test_same_day_visits_in_the_file_are_all_kept(engine, tmp_path):
    path = folder(
        tmp_path,
        {"patients.csv": PATIENTS, "visits.csv": "mrn,visit_date,back_pain\nP1,2026-03-01,5\nP1,2026-03-01,6\n"},
    )

    import_csv_folder(engine, path, "nurse1", TODAY)

    assert counts(engine)["visits"] == 2


# --- the hand-written bad folders --------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("text_in_pain", ("visits.csv", 4, "back_pain", "moderate")),
        ("unknown_mrn", ("visits.csv", 5, "mrn", "BD-1O2")),
        ("future_date", ("visits.csv", 5, "visit_date", "2062-03-09")),
        ("unknown_column", ("visits.csv", 1, "pain_score", None)),
    ],
)
def test_each_bad_folder_is_refused_naming_file_line_column_and_value(engine, case, expected):
    import_csv_folder(engine, CLEAR_CASES, "nurse1", TODAY)  # a database that already holds data

    assert problems_of(engine, BAD / case) == [expected]


def test_every_problem_in_a_folder_is_reported_at_once_and_nothing_is_written(engine):
    with pytest.raises(CsvImportFailed) as failure:
        import_csv_folder(engine, BAD / "all_in_one", "nurse1", TODAY)

    assert counts(engine) == {"patients": 0, "surgeries": 0, "visits": 0, "treatments": 0, "audit": 0}
    assert failure.value.report.format().splitlines() == [
        "Nothing was imported from all_in_one: 4 problems found.",
        "surgeries.csv line 4, column mrn: 'BD-230' is not in patients.csv or the database",
        "visits.csv line 4, column back_pain: 'moderate' is not a number (allowed: 0 to 10)",
        "visits.csv line 6, column visit_date: '2062-03-09' is in the future (today is 2026-06-01)",
        "treatments.csv line 1, column dose is not a known column of treatments.csv "
        "(known: mrn, treatment, start_date, end_date, notes)",
    ]


# --- the shape of the files --------------------------------------------------------------------


def test_a_byte_order_mark_and_free_column_order_are_accepted(engine, tmp_path):
    path = folder(
        tmp_path,
        {
            "patients.csv": "\ufeffsex,mrn,display_name\r\nfemale,P1,Zoë Ångström\r\n",
            "visits.csv": "\ufeffleg_pain,visit_date,mrn\r\n4.5,2026-03-01,P1\r\n",
        },
    )

    report = import_csv_folder(engine, path, "nurse1", TODAY)

    assert report.counts == {"patients.csv": 1, "visits.csv": 1}
    with read_session(engine) as s:
        assert s.scalar(select(Patient.display_name)) == "Zoë Ångström"
        assert s.scalar(select(Visit.leg_pain)) == 4.5


def test_a_ragged_row_is_reported_with_its_cell_count(engine, tmp_path):
    path = folder(
        tmp_path,
        {"patients.csv": PATIENTS, "visits.csv": "mrn,visit_date,back_pain\nP1,2026-03-01,5\nP1,2026-03-08,5,6\n"},
    )

    with pytest.raises(CsvImportFailed) as failure:
        import_csv_folder(engine, path, "nurse1", TODAY)

    assert [str(p) for p in failure.value.report.problems] == [
        "visits.csv line 3: has 4 cells but the header has 3 columns"
    ]
    assert counts(engine)["patients"] == 0


def test_a_duplicate_mrn_in_patients_csv_names_the_first_line(engine, tmp_path):
    path = folder(tmp_path, {"patients.csv": "mrn,display_name\nP1,Ada\nP2,Bo\nP1,Ada again\n"})

    assert problems_of(engine, path) == [("patients.csv", 4, "mrn", "P1")]


def test_an_empty_file_is_an_error(engine, tmp_path):
    path = folder(tmp_path, {"patients.csv": PATIENTS, "visits.csv": ""})

    assert problems_of(engine, path) == [("visits.csv", None, None, None)]


def test_a_file_that_is_not_utf8_is_an_error_naming_the_line(engine, tmp_path):
    latin1 = "mrn,display_name\nP1,Ada\nP2,Jürgen Müller\n".encode("latin-1")
    path = folder(tmp_path, {"patients.csv": latin1})

    with pytest.raises(CsvImportFailed) as failure:
        import_csv_folder(engine, path, "nurse1", TODAY)

    (problem,) = failure.value.report.problems
    assert (problem.file, problem.line) == ("patients.csv", 3) and "UTF-8" in problem.message


def test_a_missing_required_column_is_reported_once_not_on_every_row(engine, tmp_path):
    path = folder(tmp_path, {"patients.csv": PATIENTS, "surgeries.csv": "mrn,procedure\nP1,fusion\nP1,fusion\n"})

    assert problems_of(engine, path) == [("surgeries.csv", 1, "surgery_date", None)]


def test_a_visit_without_any_measurement_is_a_row_problem(engine, tmp_path):
    path = folder(tmp_path, {"patients.csv": PATIENTS, "visits.csv": "mrn,visit_date,notes\nP1,2026-03-01,phoned\n"})

    with pytest.raises(CsvImportFailed) as failure:
        import_csv_folder(engine, path, "nurse1", TODAY)

    assert str(failure.value.report.problems[0]).startswith(
        "visits.csv line 2: a visit needs at least one measurement: back pain, leg pain, ODI"
    )


def test_line_numbers_are_spreadsheet_rows_across_blank_rows_and_multiline_notes(engine, tmp_path):
    visits = 'mrn,visit_date,back_pain,notes\nP1,2026-03-01,5,"two\nlines"\n,,,\nP1,2026-03-08,eleven,\n'
    path = folder(tmp_path, {"patients.csv": PATIENTS, "visits.csv": visits})

    assert problems_of(engine, path) == [("visits.csv", 4, "back_pain", "eleven")]


def test_an_unknown_csv_file_and_a_missing_folder_are_errors(engine, tmp_path):
    typo = folder(tmp_path, {"patients.csv": PATIENTS, "visit.csv": "mrn,visit_date\n"})

    assert problems_of(engine, typo) == [("visit.csv", None, None, None)]
    assert problems_of(engine, tmp_path / "nowhere") == [(str(tmp_path / "nowhere"), None, None, None)]


def test_a_folder_without_any_import_file_is_an_error(engine, tmp_path):
    empty = folder(tmp_path, {"README.md": "notes only"})

    assert problems_of(engine, empty) == [("upload", None, None, None)]
