"""Field-by-field validation shared by the forms, the CSV importer and the FHIR importer."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from . import odi
from .catalog import PROCEDURE_CODES, SEXES, TREATMENT_CODES

MRN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Lone UTF-16 surrogates (e.g. "\ud800" escapes in JSON) are not text: no database encoding can store them.
SURROGATES = re.compile("[\ud800-\udfff]")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)  # \d alone also takes "２０２６" and "٢٠٢٦"
# In names and MRNs, nothing invisible: no control character (tab and line break included), no line or
# paragraph separator, and no bidirectional override or isolate, which can make a name read as another
# ("Trojan Source"). Notes keep line breaks and are shown as plain text.
NAME_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
EARLIEST_DATE = date(1900, 1, 1)
MAX_NOTE_LENGTH = 4000
MAX_MME_PER_DAY = 5000.0  # far above any real dose: a typo guard, not a clinical limit
# A number as a clinic types it: digits with at most one decimal point or comma ("5.5", "5,5"). Not what
# float() reads besides: "1e2", "inf", "nan", which no form means and which would pass a range as 100.
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)
DECIMAL_COMMA = re.compile(r"([+-]?\d*),(\d+)", re.ASCII)


@dataclass(frozen=True)
class FieldError:
    """One bad value: which field, what was given, what is wrong."""

    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} (got {self.value!r})"


class ValidationFailed(ValueError):
    """Raised by commands when input is bad; carries every FieldError, nothing has been written."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def _blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and raw.strip() == ""


class Fields:
    """Collects typed values and errors for one record; each parse_* returns None on error."""

    def __init__(self, raw: dict[str, Any], today: date | None = None):
        self.raw = raw
        # Every caller that judges a date passes the site's today (commands.site_today, clock.site_today);
        # the server's date is only the fallback of checks with no date in them (settings, numbers).
        self.today = today or date.today()
        self.errors: list[FieldError] = []

    def error(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, self.raw.get(name), message))

    def text(self, name: str, max_length: int = 200, required: bool = False) -> str | None:
        raw = self.raw.get(name)
        if _blank(raw):
            if required:
                self.error(name, "is required")
            return None
        value = str(raw).strip()
        if CONTROL_CHARS.search(value):
            self.error(name, "contains control characters")
            return None
        if SURROGATES.search(value):
            self.error(name, "contains characters that are not valid Unicode text")
            return None
        if len(value) > max_length:
            self.error(name, f"is longer than {max_length} characters")
            return None
        return value

    def name(self, name: str, max_length: int = 200) -> str | None:
        """Text that names someone or something (a patient, a surgeon, spinal levels): on one line, visible."""
        value = self.text(name, max_length)
        if value is not None and not self._visible(name, value):
            return None
        return value

    def _visible(self, name: str, value: str) -> bool:
        hidden = NAME_FORBIDDEN.search(value)
        if hidden is None:
            return True
        self.error(name, f"contains an invisible control or text-direction character (U+{ord(hidden.group()):04X})")
        return False

    def mrn(self, name: str = "mrn") -> str | None:
        value = self.text(name, max_length=64, required=True)
        if value is not None and not self._visible(name, value):
            return None
        if value is not None and not MRN_PATTERN.match(value):
            self.error(name, "must be letters, digits and . _ / - only, starting with a letter or digit")
            return None
        return value

    def number(self, name: str, low: float, high: float, required: bool = False) -> float | None:
        raw: Any = self.raw.get(name)
        if _blank(raw):
            if required:
                self.error(name, "is required")
            return None
        allowed = f"allowed: {low:g} to {high:g}"
        if isinstance(raw, bool):
            self.error(name, f"is not a number ({allowed})")
            return None
        try:
            if isinstance(raw, str):
                text = raw.strip()
                if not text.isascii():  # float() also reads "１９７０" and "٧": no clinic file means that
                    self.error(name, f"is not a number written with the digits 0-9 ({allowed})")
                    return None
                if "_" in text:  # float() reads "5_0" as 50 (Python's digit grouping): no one means that
                    raise ValueError(text)
                comma = DECIMAL_COMMA.fullmatch(text)
                if comma and len(comma.group(2)) == 3:  # 1,500: a thousands separator as much as a decimal comma
                    self.error(
                        name, f"could be read two ways: type it without a comma, or with a decimal point ({allowed})"
                    )
                    return None
                if comma:
                    text = f"{comma.group(1)}.{comma.group(2)}"  # a decimal comma: 5,5 is 5.5
                if not PLAIN_NUMBER.fullmatch(text):
                    float(text)  # not a number at all: said as such below
                    self.error(name, f"is not a plain number: type digits, e.g. 5.5 or 5,5 ({allowed})")
                    return None
                value = float(text)
            else:
                value = float(raw)
        except (TypeError, ValueError):
            self.error(name, f"is not a number ({allowed})")
            return None
        except OverflowError:  # an integer too large for a float (e.g. from JSON): out of any range
            self.error(name, f"must be between {low:g} and {high:g}")
            return None
        if not math.isfinite(value):
            self.error(name, f"is not a finite number ({allowed})")
            return None
        if not low <= value <= high:
            self.error(name, f"must be between {low:g} and {high:g}")
            return None
        return value

    def integer(self, name: str, low: int, high: int, required: bool = False) -> int | None:
        value = self.number(name, low, high, required)
        if value is None:
            return None
        if value != int(value):
            self.error(name, "must be a whole number")
            return None
        return int(value)

    def flag01(self, name: str) -> bool | None:
        raw = self.raw.get(name)
        if _blank(raw):
            return None
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "1.0", "true", "yes"):
            return True
        if text in ("0", "0.0", "false", "no"):
            return False
        self.error(name, "must be 0 or 1")
        return None

    def choice(self, name: str, allowed: tuple[str, ...], required: bool = False) -> str | None:
        value = self.text(name, max_length=64, required=required)
        if value is None:
            return None
        normalised = value.lower()
        if normalised not in allowed:
            self.error(name, f"must be one of {', '.join(allowed)}")
            return None
        return normalised

    def date(self, name: str, required: bool = False) -> date | None:
        raw = self.raw.get(name)
        if _blank(raw):
            if required:
                self.error(name, "is required")
            return None
        if isinstance(raw, datetime):
            value = raw.date()
        elif isinstance(raw, date):
            value = raw
        else:
            text = str(raw).strip()
            try:
                # fromisoformat alone also takes 20260101 and 2026-W05-1; the format is YYYY-MM-DD.
                if not ISO_DATE.match(text):
                    raise ValueError(text)
                value = date.fromisoformat(text)
            except ValueError:
                self.error(name, "is not a date in the form YYYY-MM-DD")
                return None
        if value > self.today:
            self.error(name, f"is in the future (today is {self.today.isoformat()})")
            return None
        if value < EARLIEST_DATE:
            self.error(name, f"is before {EARLIEST_DATE.isoformat()}")
            return None
        return value


# Spinal levels in their clinical form: a vertebra ("L5") or a span of them ("L4-L5", "L5-S1", "L3-L5"),
# several joined by ", ". Typed as clinics write them: any case, an en dash or a slash, and the
# shorthand "L4-5" or "L4/5" for a span within one region.
_VERTEBRAE = {"C": 7, "T": 12, "L": 6, "S": 5}  # L6: a lumbarised first sacral vertebra
_REGION_ORDER = "CTLS"
_LEVEL = r"([CTLSctls])\s*(\d{1,2})"
_SPAN = re.compile(rf"^{_LEVEL}(?:\s*[-–/]\s*(?:([CTLSctls])\s*)?(\d{{1,2}}))?$")
_LIST_SEPARATOR = re.compile(r"\s*(?:,|;|\band\b|&)\s*", re.IGNORECASE)
SPINAL_LEVELS_HELP = "spinal levels such as L4-L5, L5-S1 or L3-L5 (several separated by commas)"


def _vertebra(region: str, number: str) -> tuple[int, str] | None:
    region, n = region.upper(), int(number)
    if not 1 <= n <= _VERTEBRAE[region]:
        return None
    return _REGION_ORDER.index(region) * 100 + n, f"{region}{n}"


def clinical_levels(text: object) -> str | None:
    """The levels in their clinical form ("L4-L5, L5-S1"), or None when text is empty or anything else."""
    if text is None or not str(text).strip():
        return None
    spans = []
    for part in _LIST_SEPARATOR.split(str(text).strip()):
        match = _SPAN.match(part)
        if match is None:
            return None
        region, first, second_region, second = match.groups()
        top = _vertebra(region, first)
        if top is None:
            return None
        if second is None:
            spans.append(top[1])
            continue
        bottom = _vertebra(second_region or region, second)
        if bottom is None or bottom[0] <= top[0]:  # a span runs from head to tail: L4-L5, never L5-L4
            return None
        spans.append(f"{top[1]}-{bottom[1]}")
    return ", ".join(spans)


@dataclass(frozen=True)
class PatientIn:
    mrn: str
    display_name: str | None = None
    birth_year: int | None = None
    sex: str = "unknown"


@dataclass(frozen=True)
class SurgeryIn:
    surgery_date: date
    procedure: str
    spinal_levels: str | None = None
    surgeon: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class VisitIn:
    visit_date: date
    back_pain: float | None = None
    leg_pain: float | None = None
    odi: float | None = None
    numbness: bool | None = None
    tingling: bool | None = None
    weakness: bool | None = None
    mme_per_day: float | None = None
    notes: str | None = None
    # odi.FROM_SECTIONS when `odi` was computed from the section scores below, odi.ENTERED_TOTAL when
    # it was given alone; None without an ODI
    odi_source: str | None = None
    # The ODI's section scores, 0–5 (None: not answered); named odi.column(key), as the visit's columns
    odi_pain_intensity: int | None = None
    odi_personal_care: int | None = None
    odi_lifting: int | None = None
    odi_walking: int | None = None
    odi_sitting: int | None = None
    odi_standing: int | None = None
    odi_sleeping: int | None = None
    odi_sex_life: int | None = None
    odi_social_life: int | None = None
    odi_travelling: int | None = None

    def odi_items(self) -> dict[str, int | None]:
        """The section scores by section key (odi.KEYS), None for a section not answered."""
        return {key: getattr(self, odi.column(key)) for key in odi.KEYS}


@dataclass(frozen=True)
class TreatmentIn:
    code: str
    start_date: date
    end_date: date | None = None
    notes: str | None = None


MEASUREMENTS = ("back_pain", "leg_pain", "odi", "numbness", "tingling", "weakness", "mme_per_day")
# In the words of the paper form: this message reaches the app as well as the import reports.
NO_MEASUREMENT = (
    "a visit needs at least one measurement: back pain, leg pain, ODI, numbness, tingling, weakness or opioid MME/day"
)


def check_patient(raw: dict[str, Any], today: date | None = None) -> tuple[PatientIn | None, list[FieldError]]:
    f = Fields(raw, today)
    mrn = f.mrn()
    name = f.name("display_name", 200)
    birth_year = f.integer("birth_year", 1900, f.today.year)
    sex = f.choice("sex", SEXES) or "unknown"
    if f.errors:
        return None, f.errors
    assert mrn is not None  # required: None only with an error recorded
    return PatientIn(mrn, name, birth_year, sex), []


def check_surgery(raw: dict[str, Any], today: date | None = None) -> tuple[SurgeryIn | None, list[FieldError]]:
    f = Fields(raw, today)
    when = f.date("surgery_date", required=True)
    procedure = f.choice("procedure", PROCEDURE_CODES, required=True)
    levels = f.name("spinal_levels", 64)
    if levels is not None:
        levels = clinical_levels(levels)
        if levels is None or len(levels) > 64:
            f.error("spinal_levels", f"must be {SPINAL_LEVELS_HELP}")
    surgeon = f.name("surgeon", 120)
    notes = f.text("notes", MAX_NOTE_LENGTH)
    if f.errors:
        return None, f.errors
    assert when is not None and procedure is not None  # required: None only with an error recorded
    return SurgeryIn(when, procedure, levels, surgeon, notes), []


def check_diagnosis_date(raw: dict[str, Any], today: date | None = None) -> tuple[date | None, list[FieldError]]:
    """The date a diagnosis was made (diagnosed_on): required, YYYY-MM-DD, not in the future."""
    f = Fields(raw, today)
    when = f.date("diagnosed_on", required=True)
    return (None, f.errors) if f.errors else (when, [])


def _odi_total(f: Fields, min_sections: int) -> tuple[float | None, str | None, dict[str, int | None]]:
    """The visit's ODI (total, how it came about, the section scores): computed from the sections when any
    is given, a typed total then only checked against them; a total alone otherwise."""
    items = {key: f.integer(odi.column(key), odi.LOWEST, odi.HIGHEST) for key in odi.KEYS}
    typed = f.number("odi", 0, 100)
    given = odi.answered(items)
    if not given or f.errors:
        return typed, (odi.ENTERED_TOTAL if typed is not None else None), items
    computed = odi.score(given, min_sections)
    if computed is None and typed is not None:
        f.error(
            "odi",
            f"cannot be checked: only {len(given)} of the 10 sections are answered and at least {min_sections} "
            "are needed to score the ODI; leave the total empty, or give the sections",
        )
    elif computed is not None and typed is not None and not odi.agrees(typed, computed):
        f.error("odi", f"does not match the sections, which give {computed:.1f}; leave the total empty to use them")
    return computed, odi.FROM_SECTIONS, items


def check_visit(
    raw: dict[str, Any], today: date | None = None, odi_min_sections: int = odi.DEFAULT_MIN_SECTIONS
) -> tuple[VisitIn | None, list[FieldError]]:
    """A visit as typed or imported. The ODI's section scores (fields odi.column(key)) are stored; its total is
    computed from them when at least odi_min_sections are answered (a total typed beside them must agree)."""
    f = Fields(raw, today)
    when = f.date("visit_date", required=True)
    back_pain = f.number("back_pain", 0, 10)
    leg_pain = f.number("leg_pain", 0, 10)
    odi_total, odi_source, odi_items = _odi_total(f, odi_min_sections)
    numbness = f.flag01("numbness")
    tingling = f.flag01("tingling")
    weakness = f.flag01("weakness")
    mme_per_day = f.number("mme_per_day", 0, MAX_MME_PER_DAY)
    notes = f.text("notes", MAX_NOTE_LENGTH)
    # A questionnaire answered with too few sections to score still counts: its answers are kept.
    values = (back_pain, leg_pain, odi_total, numbness, tingling, weakness, mme_per_day, *odi_items.values())
    if not f.errors and all(v is None for v in values):
        f.errors.append(FieldError("measurements", None, NO_MEASUREMENT))
    if f.errors:
        return None, f.errors
    assert when is not None  # required: None only with an error recorded
    visit = VisitIn(
        visit_date=when,
        back_pain=back_pain,
        leg_pain=leg_pain,
        odi=odi_total,
        numbness=numbness,
        tingling=tingling,
        weakness=weakness,
        mme_per_day=mme_per_day,
        notes=notes,
        odi_source=odi_source,
        **{odi.column(key): value for key, value in odi_items.items()},
    )
    return visit, []


def check_treatment(raw: dict[str, Any], today: date | None = None) -> tuple[TreatmentIn | None, list[FieldError]]:
    f = Fields(raw, today)
    code = f.choice("treatment", TREATMENT_CODES, required=True)
    start = f.date("start_date", required=True)
    end = f.date("end_date")
    notes = f.text("notes", MAX_NOTE_LENGTH)
    if start and end and end < start:
        f.error("end_date", f"is before the start date {start.isoformat()}")
    if f.errors:
        return None, f.errors
    assert code is not None and start is not None  # required: None only with an error recorded
    return TreatmentIn(code, start, end, notes), []


def before_birth(field: str, day: date | None, birth_year: int | None) -> list[FieldError]:
    """A visit, surgery or treatment dated before the patient's birth year cannot be right."""
    if day is None or birth_year is None or day.year >= birth_year:
        return []
    return [FieldError(field, day.isoformat(), f"is before the patient's birth year {birth_year}")]
