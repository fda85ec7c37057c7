"""Hostile CSV imports: files that are malformed, cut short, in the wrong encoding, huge, or full of
formulas, markup and SQL: stored as the plain text given, or refused with the place of every problem,
and never a partial write.

Decision on spreadsheet formulas (=, +, -, @ at the start of a cell): the import stores them as the
plain text given (test_formulas_markup_and_sql_in_names_and_notes_are_stored_as_plain_text); PainTrail
never evaluates them. Making them inert is the job of every output a spreadsheet may open:
- `paintrail export csv` and the app's CSV downloads prefix such cells with an apostrophe
  (data_model.exchange.csv_folder.export.neutralise, tested in tests/integration/test_csv_export.py);
- the worklist CSV (`paintrail flags --format csv`) carries no text typed by users: MRNs cannot start
  with those characters and reasons are generated (test_the_flags_csv_carries_no_formula_from_imported_text).

Hypothesis runs derandomized (the same examples every run) with no example database, so CI is stable.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data_model.db import read_session
from data_model.exchange.csv_folder.folder_import import import_csv_folder
from data_model.models import Patient, Surgery, Visit
from data_model.validation import MRN_PATTERN, Fields, check_patient, check_visit
from tests.helpers.hostile import (
    FORMULAS,
    HOSTILE_STRINGS,
    MARKUP,
    ODD,
    OTHER_DIGITS,
    ROUND_TRIP,
    SQL,
    SURROGATES,
    TODAY,
    stored_text,
)
from tests.helpers.hostile_csv import assert_placed, csv_text, import_outcome, next_example, write_folder

# --- CSV import: generated folders of hostile cells ------------------------------------------------------------

mrn_cell = st.one_of(st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._/-]{0,8}\Z"), st.sampled_from(SQL + FORMULAS + ODD[:8]))
text_cell = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30),
    st.sampled_from(HOSTILE_STRINGS).filter(lambda s: not SURROGATES.search(s)),
    st.builds(lambda n: "n" * n, st.sampled_from([199, 201, 3999, 4001])),
)
number_cell = st.one_of(
    st.sampled_from(["", "0", "10", "6.5", "11", "-1", "abc", "NaN", "1e400", "5_0", " 7 ", *OTHER_DIGITS]),
    st.floats(0, 10).map(lambda x: f"{x:.1f}"),
)
date_cell = st.one_of(
    st.dates(date(2024, 1, 1), TODAY).map(date.isoformat),
    st.sampled_from(["", "2026-02-30", "01/02/2026", "2099-01-01", "1850-01-01", "yesterday"]),
)


@st.composite
def hostile_folder(draw):
    """(patients rows, visits rows): MRNs from the patients, or not; every cell possibly hostile."""
    # 2025: the visits (from 2024) may come before the birth year; "１９７０": digits other than 0-9
    patients = draw(
        st.lists(
            st.tuples(
                mrn_cell,
                text_cell,
                st.sampled_from(["", "1960", "1850", "x", "2025", "１９７０"]),
                st.sampled_from(["female", "male", "MALE", "", "robot"]),
            ),
            min_size=1,
            max_size=4,
        )
    )
    known = [p[0] for p in patients]
    visits = draw(
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(known), mrn_cell),
                date_cell,
                number_cell,
                number_cell,
                st.sampled_from(["", "40", "101"]),
                st.sampled_from(["", "0", "1", "2"]),
                text_cell,
            ),
            max_size=5,
        )
    )
    return patients, visits


def _tagged(mrn: str, tag: str) -> str:
    # Valid MRNs get a per-example prefix so examples never collide in the shared database.
    return tag + mrn.strip() if MRN_PATTERN.match(mrn.strip()) and len(tag + mrn.strip()) <= 64 else mrn


def _expected_failure(patients: list[list[str]], visits: list[list[str]]) -> set[tuple[str, int]]:
    """(file, line) of every row the importer must refuse, worked out independently of it."""
    bad: set[tuple[str, int]] = set()
    seen: set[str] = set()  # MRNs in lower case: "a1" and "A1" are one patient
    born: dict[str, int] = {}
    for line, (mrn, name, year, sex) in enumerate(patients, start=2):
        _, errors = check_patient({"mrn": mrn, "display_name": name, "birth_year": year, "sex": sex}, TODAY)
        if errors or mrn.strip().lower() in seen:
            bad.add(("patients.csv", line))
        elif year.strip():
            born[mrn.strip().lower()] = int(year)
        seen.add(mrn.strip().lower())
    for line, (mrn, when, back, leg, odi, numb, notes) in enumerate(visits, start=2):
        row = {
            "mrn": mrn,
            "visit_date": when,
            "back_pain": back,
            "leg_pain": leg,
            "odi": odi,
            "numbness": numb,
            "notes": notes,
        }
        if all(str(v).strip() == "" for v in row.values()):
            continue
        fields = Fields(row, TODAY)
        fields.mrn()
        visit, errors = check_visit(row, TODAY)
        before_birth = visit is not None and visit.visit_date.year < born.get(mrn.strip().lower(), 0)
        if errors or fields.errors or mrn.strip().lower() not in seen or before_birth:
            bad.add(("visits.csv", line))
    return bad


@pytest.mark.postgres
@ROUND_TRIP
@given(data=hostile_folder(), newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans())
def test_hostile_cells_are_stored_as_the_text_given_or_refused_with_their_place(engine, tmp_path, data, newline, bom):
    tag = f"T{next_example()}-"
    # Rows of nothing but blanks are skipped by design (spreadsheets leave them): leave them out here.
    patients = [[_tagged(m, tag), *rest] for m, *rest in data[0] if any(c.strip() for c in (m, *rest))]
    visits = [[_tagged(m, tag), *rest] for m, *rest in data[1] if any(c.strip() for c in (m, *rest))]
    assume(patients)
    files = {"patients.csv": csv_text([["mrn", "display_name", "birth_year", "sex"], *patients], newline)}
    if visits:
        files["visits.csv"] = csv_text(
            [["mrn", "visit_date", "back_pain", "leg_pain", "odi", "numbness", "notes"], *visits], newline
        )
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
        for mrn, name, _year, sex in patients:
            stored = s.scalar(select(Patient).where(Patient.mrn == mrn.strip()))
            assert (stored.display_name, stored.sex) == (stored_text(name), sex.strip().lower() or "unknown")
            assert stored.source == "csv"
        for mrn, when, _back, _leg, _odi, _numb, notes in visits:
            pid = s.scalar(select(Patient.id).where(func.lower(Patient.mrn) == mrn.strip().lower()))
            stored_notes = s.scalars(
                select(Visit.notes).where(Visit.patient_id == pid, Visit.visit_date == date.fromisoformat(when.strip()))
            )
            assert stored_text(notes) in list(stored_notes)


# --- CSV import: files cut short at any byte -------------------------------------------------------------------

GOOD_PATIENTS = csv_text(
    [
        ["mrn", "display_name", "birth_year", "sex"],
        ["CUT-1", "Zoë Ångström, Jr.", "1961", "female"],
        ["CUT-2", 'Nuño "Ñ" Peña', "1970", "male"],
        ["CUT-3", "李小龍 😀", "", ""],
    ]
)
GOOD_VISITS = csv_text(
    [["mrn", "visit_date", "back_pain", "leg_pain", "odi", "numbness", "tingling", "weakness", "mme_per_day", "notes"]]
    + [
        [
            f"CUT-{1 + i % 3}",
            f"2026-0{1 + i % 5}-1{i % 9}",
            f"{i % 11}",
            f"{(i * 7) % 11}.5"[:3],
            f"{i * 3}",
            "1",
            "0",
            "",
            f"{i * 5}",
            "long note, with a comma\nand a line break é😀" if i % 4 == 0 else "",
        ]
        for i in range(12)
    ]
)


@pytest.mark.postgres
@ROUND_TRIP
@given(which=st.sampled_from(["patients.csv", "visits.csv"]), cut=st.floats(0, 1, exclude_max=True))
def test_a_file_cut_short_at_any_byte_imports_what_it_holds_or_nothing(engine, tmp_path, which, cut):
    tag = f"C{next_example()}"
    content = {
        "patients.csv": GOOD_PATIENTS.replace("CUT-", tag + "-").encode("utf-8"),
        "visits.csv": GOOD_VISITS.replace("CUT-", tag + "-").encode("utf-8"),
    }
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
            assert list(stored) == [stored_text(r[-1]) for r in rows]
        else:
            stored = s.scalars(select(Patient.display_name).where(Patient.mrn.like(f"{tag}-%")).order_by(Patient.id))
            assert list(stored) == [stored_text(r[1]) for r in rows]


# --- CSV import: malformed files -------------------------------------------------------------------------------

VISIT_HEADER = "mrn,visit_date,back_pain,notes\n"
ONE_PATIENT = "mrn,display_name\nM1,Malformed\n"


@pytest.mark.parametrize(
    ("files", "place", "message"),
    [
        (
            {"visits.csv": VISIT_HEADER + 'M1,2026-01-05,5,"never closed\nM1,2026-01-06,5,x\n'},
            ("visits.csv", 2),
            "cannot be read as CSV",
        ),
        ({"visits.csv": VISIT_HEADER + 'M1,2026-01-05,5,"a"b"\n'}, ("visits.csv", 2), "cannot be read as CSV"),
        (
            {"visits.csv": VISIT_HEADER + "M1,2026-01-05,5,x,extra\n"},
            ("visits.csv", 2),
            "has 5 cells but the header has 4",
        ),
        ({"visits.csv": VISIT_HEADER + "M1,2026-01-05\n"}, ("visits.csv", 2), "has 2 cells but the header has 4"),
        ({"visits.csv": "mrn,visit_date,mrn,back_pain\nM1,2026-01-05,M1,5\n"}, ("visits.csv", 1), "appears twice"),
        ({"visits.csv": "mrn,,back_pain\nM1,,5\n"}, ("visits.csv", 1), "has no name"),
        ({"visits.csv": "mrn,back_pain\nM1,5\n"}, ("visits.csv", 1), "required column"),
        ({"visits.csv": "\ufeff"}, ("visits.csv", None), "is empty"),
        ({"visits.csv": "\n\n  \n"}, ("visits.csv", None), "is empty"),
        ({"visits.csv": bytes(range(256))}, ("visits.csv", 2), "is not UTF-8 text (byte 0x80)"),  # 0x0A before 0x80
        ({"visit.csv": VISIT_HEADER}, ("visit.csv", None), "is not a file this import reads"),
    ],
    ids=[
        "unclosed-quote",
        "stray-quote",
        "extra-cell",
        "missing-cells",
        "duplicate-column",
        "unnamed-column",
        "missing-required-column",
        "only-a-bom",
        "only-blank-lines",
        "binary",
        "misnamed-file",
    ],
)
def test_a_malformed_file_is_refused_with_its_place_and_nothing_is_written(
    sqlite_engine, tmp_path, files, place, message
):
    folder = write_folder(tmp_path, {"patients.csv": ONE_PATIENT, **files})

    ok, problems, _ = import_outcome(sqlite_engine, folder)

    assert not ok
    assert any((p.file, p.line) == place and message in p.message for p in problems), [str(p) for p in problems]
    for p in problems:  # whole-file problems have no line; the rest say where
        assert p.file in files and (p.line is not None or "is empty" in p.message or "reads" in p.message), p


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(junk=st.binary(max_size=300), header=st.booleans())
def test_arbitrary_bytes_as_a_csv_file_never_break_the_import(sqlite_engine, tmp_path, junk, header):
    content = (VISIT_HEADER.encode() if header else b"") + junk
    folder = write_folder(
        tmp_path, {"patients.csv": ONE_PATIENT.replace("M1", f"J{next_example()}"), "visits.csv": content}
    )

    ok, problems, _ = import_outcome(sqlite_engine, folder)

    event("imported" if ok else "refused")
    if not ok:
        assert_placed(
            problems, folder, {"patients.csv": 2, "visits.csv": content.count(b"\n") + content.count(b"\r") + 2}
        )


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
        (
            lambda t: t.encode("cp1252").replace(b"Ada", b"\x93Ada\x94"),
            ("patients.csv", 2),
            "is not UTF-8 text (byte 0x93)",
        ),
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
            ("B1", "Jürgen Müller"),
            ("B2", "Zoë 😀"),
        ]


@pytest.mark.parametrize(
    ("column", "size", "message"),
    [
        ("notes", 100_000, "is longer than 4000 characters"),
        ("notes", 1_000_000, "is longer than 131,072 characters"),  # past the csv module's own cell limit
        ("mrn", 1_000_000, "is longer than 131,072 characters"),
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
    assert any(
        p.file == "visits.csv" and p.line == 2 and p.column == column and message in p.message for p in problems
    ), problems
    assert len(str(problems[0])) < 400


def test_a_50000_row_file_with_one_bad_row_at_the_end_is_refused_whole(sqlite_engine, tmp_path):
    rows = [f"BIG{i % 500},2026-0{1 + i % 5}-{1 + i % 28:02d},{i % 11},{(i * 3) % 11},,,,,," for i in range(49_999)]
    rows.append("BIG7,2026-03-03,11,5,,,,,,")  # line 50001: back pain 11
    visits = (
        "mrn,visit_date,back_pain,leg_pain,odi,numbness,tingling,weakness,mme_per_day,notes\n" + "\n".join(rows) + "\n"
    )
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
        [f"X{i % len(names)}", "2026-01-05", "5", note] for i, note in enumerate(FORMULAS + MARKUP + SQL)
    ]
    surgeries = [
        ["mrn", "surgery_date", "procedure", "surgeon", "notes"],
        ["X0", "2025-06-01", "fusion", "=cmd()", "<b>x</b>"],
    ]
    folder = write_folder(
        tmp_path,
        {"patients.csv": csv_text(patients), "visits.csv": csv_text(visits), "surgeries.csv": csv_text(surgeries)},
    )

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
        ("patients.csv", line, "mrn", mrn) for line, mrn in enumerate(BAD_MRNS, start=4)
    ]
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
    from tests.helpers.cli_accounts import add_account

    patients = [["mrn", "display_name"], *[[f"F{i}", f] for i, f in enumerate(FORMULAS)]]
    surgeries = [
        ["mrn", "surgery_date", "procedure", "surgeon", "notes"],
        *[[f"F{i}", "2025-01-06", "fusion", f, f] for i, f in enumerate(FORMULAS)],
    ]
    visits = [
        ["mrn", "visit_date", "back_pain", "leg_pain", "notes"],
        *[[f"F{i}", "2026-05-01", "8", "8", f] for i, f in enumerate(FORMULAS)],
    ]
    folder = write_folder(
        tmp_path,
        {"patients.csv": csv_text(patients), "surgeries.csv": csv_text(surgeries), "visits.csv": csv_text(visits)},
    )
    import_csv_folder(sqlite_engine, folder, "fuzz", TODAY)

    url = f"sqlite:///{sqlite_engine.url.database}"
    result = CliRunner().invoke(
        app,
        ["flags", "--as-of", TODAY.isoformat(), "--format", "csv", "--identified", "--db", url],
        env=add_account(url),
    )

    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows) > 1, "patients are flagged (pain 8 long after a fusion)"
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row), rows
