"""Display helpers shared by pages and charts: labels, icons, number formats, user text as plain text."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from data_model.catalog import FLAG_CODES, PROCEDURES, TREATMENTS, UNKNOWN_SURGERY, UNKNOWN_SURGERY_LABEL

# The site's zone is resolved in data_model.clock; re-exported for the pages and the CLI.
from data_model.clock import server_zone_name as server_zone_name
from data_model.clock import site_zone as site_zone
from data_model.settings import is_time_zone as is_time_zone

MISSING = "–"  # a value not recorded: a dash, never "None" or "nan"

# Plain words for tables (emoji need a font the clinic's browser may lack); badges for markdown.
SEVERITY_TEXT = {"high": "High", "medium": "Medium", "low": "Low"}
# How a patient's severity is decided (README "Severity"): shown beside the worklist.
SEVERITY_LEGEND = (
    "Severity is the highest of the patient's flags. **High**: a flag at its severe level (pain at or above "
    "the severe threshold, pain no better than baseline, new weakness, a high opioid dose). **Medium**: a "
    "flag below its severe level. **Low**: one missed follow-up visit and nothing else."
)
ROLE_LABELS = {"clinician": "Clinician", "staff": "Staff (data entry)", "admin": "Administrator"}
SEVERITY_BADGE = {"high": ":red-badge[High]", "medium": ":orange-badge[Medium]", "low": ":gray-badge[Low]"}


def procedure_label(code: str) -> str:
    if code == UNKNOWN_SURGERY:
        return UNKNOWN_SURGERY_LABEL
    return PROCEDURES[code].label if code in PROCEDURES else str(code)


def fbss_diagnosis_text(diagnosed_on: date | None) -> str:
    """'post-laminectomy syndrome diagnosed on 2023-04-01', or '(date not recorded)' without a date
    (None or NaT: NaT is not equal to itself)."""
    if diagnosed_on is None or diagnosed_on != diagnosed_on:
        return "post-laminectomy syndrome diagnosed (date not recorded)"
    return f"post-laminectomy syndrome diagnosed on {diagnosed_on:%Y-%m-%d}"


def treatment_label(code: str) -> str:
    return TREATMENTS[code].label if code in TREATMENTS else str(code)


def flag_label(code: str) -> str:
    return FLAG_CODES[code].label if code in FLAG_CODES else str(code)


def score(value: float | None, unit: str = "") -> str:
    """6 not 6.0, 5.5 stays, missing says so."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


# Every ASCII punctuation character: CommonMark lets a backslash make any of them literal.
_MARKDOWN_SPECIALS = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# U+2060 WORD JOINER: invisible, no width, and not part of a web address. Streamlit's renderer turns any
# text that reads as a web address ("https://...", "www.x.org", "mailto:", "a@b.org") into a link even
# when its characters are escaped; a joiner after ':' and '@' and inside "www." keeps it plain text.
_JOINER = "\u2060"
_WWW = re.compile(r"(www)(?=\.)", re.IGNORECASE)


def plain(text: object) -> str:
    """User text for any element that renders Markdown (titles, captions, messages, labels, tabs, buttons,
    radio options, metrics, toasts), shown as the literal characters typed: no emphasis, heading, list,
    table, math, HTML, link, image, :icon: or :colour[...] directive, and no address made into a link.

    Elements that show text as it is (st.text, st.code, tables, selectbox and multiselect options) need
    nothing: through them this would show the backslashes."""
    text = _WWW.sub(lambda m: m.group(1) + _JOINER, str(text))
    out = []
    for i, ch in enumerate(text):
        out.append("\\" + ch if ch in _MARKDOWN_SPECIALS else ch)
        # Only where a link, a mail address or an :icon: could start: prose ("Back pain: 11") stays as typed.
        if ch == "@" or (ch == ":" and i + 1 < len(text) and not text[i + 1].isspace()):
            out.append(_JOINER)
    return "".join(out)


def birth_year(value: object) -> str:
    """1975, never 1975.0 (a column with a missing year reads back as floats); unknown when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    return str(int(value))  # type: ignore[call-overload]


def patient_label(patient: dict) -> str:
    """How a patient is named wherever one is chosen: MRN, name and birth year (same names are common)."""
    name = patient.get("display_name")
    name = "(no name)" if name is None or (isinstance(name, float) and math.isnan(name)) or not str(name) else name
    return f"{patient['mrn']} · {name} · born {birth_year(patient.get('birth_year'))}"


# --- Times of day in the site's time zone ---------------------------------------------------------
# Stored times are UTC; a person reads them in the site's zone (a setting), with the zone named.
# The zone itself is resolved in data_model.clock (site_zone, server_zone_name), which also gives the site's today.


def _moment(value: object) -> datetime | None:
    if value is None or isinstance(value, float) and math.isnan(value) or value is pd.NaT:
        return None
    moment = pd.Timestamp(value).to_pydatetime()
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # stored naive means UTC


def _zone_abbreviation(moment: datetime) -> str:
    name = moment.tzname() or ""
    # Zones without a letter abbreviation answer with their offset ("-03"): say it is one.
    return f"UTC{name}" if name[:1] in "+-" else name


def when(value: object, zone: ZoneInfo, missing: str = MISSING, seconds: bool = False) -> str:
    """A stored moment as the site reads it: '2026-12-03 14:05 CET' (naive values are UTC); with seconds,
    '2026-12-03 14:05:07 CET' (an audit trail, whose entries within one minute are told apart)."""
    moment = _moment(value)
    if moment is None:
        return missing
    local = moment.astimezone(zone)
    shown = f"{local:%Y-%m-%d %H:%M:%S}" if seconds else f"{local:%Y-%m-%d %H:%M}"
    return f"{shown} {_zone_abbreviation(local)}"


def day(value: object, missing: str = MISSING) -> str:
    """A date as 2024-05-04, never with a time; missing says so."""
    if value is None or isinstance(value, float) and math.isnan(value) or value is pd.NaT:
        return missing
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def zone_caption(zone: ZoneInfo) -> str:
    """Said under a table of times: 'Times in Europe/Oslo'."""
    return f"Times in {zone.key}"
