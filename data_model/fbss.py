"""Post-laminectomy syndrome (failed back surgery syndrome, FBSS) without a recorded surgery (issue 14, part 4).

A patient whose record carries the diagnosis but no surgery (the operation was years ago, elsewhere) is
exactly the patient PainTrail is for, yet has no surgery date to count a recovery window from. Such a
patient is treated as past every recovery window:

- the clock: an internal start the day before the first recorded visit (so every visit counts as
  evidence after surgery); weeks since surgery are unknown (NaN) and shown as "–";
- the baseline: the first recorded visit (the earliest pain the clinic knows of); the MCID is left
  unknown until a later visit exists, so one visit never reads as "no improvement";
- the rules that read a surgery date only for its window (PERSISTENT_PAIN, NO_MEANINGFUL_IMPROVEMENT,
  WORSENING, REBOUND, NEW_NERVE_SYMPTOMS, the dose part of HIGH_OPIOID_DOSE) apply and name dates,
  never weeks; those that need the real date (OFF_TRACK's curve, the follow-up schedule and
  OVERDUE_FOLLOW_UP, "opioids continued past 13 weeks after surgery") do not;
- a recorded surgery always wins: the diagnosis then changes nothing.

Codes that mean the diagnosis:
- SNOMED CT 202725007 (post-laminectomy syndrome of the lumbar spine): the code issue 14 quotes from the
  clinic's own EHR records (no terminology server was reachable to confirm it, see exchange/fhir/codes.py).
- ICD-10(-CM) M96.1 Postlaminectomy syndrome, not elsewhere classified: CMS ICD-10-CM.
- ICD-11 MG30.21 Chronic postsurgical pain, only when the diagnosis names the spine: ICD-11 MMS has no
  code of its own for FBSS; IASP's "chronic pain after spinal surgery" (Christelis et al., Pain Medicine
  2021;22(4):807, "Persistent spinal pain syndrome: a proposal for failed back surgery syndrome and
  ICD-11") falls under chronic postsurgical pain, MG30.21 in ICD-11 MMS (v2020-09: MG30.2 "chronic
  postsurgical or post traumatic pain", MG30.21 its postsurgical child; the project's DESIGN.md names the
  same code). WHO's browser was not reachable from here to check the newest release.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .arrays import days
from .catalog import UNKNOWN_SURGERY, UNKNOWN_SURGERY_LABEL

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD11 = "http://id.who.int/icd/release/11/mms"

SNOMED_CODE = "202725007"
DISPLAY = "Post-laminectomy syndrome (failed back surgery syndrome)"
# The words the clinic uses for a patient whose surgery is not recorded: the worklist's Procedure
# column and the patient header say this (the catalogue holds it, so display code needs no data frames).
PROCEDURE = UNKNOWN_SURGERY
PROCEDURE_LABEL = UNKNOWN_SURGERY_LABEL

_SPINE_WORDS = re.compile(r"spin|back|lumbar|laminectomy|disc|vertebr", re.I)
_ICD10_SYSTEMS = (ICD10CM, ICD10)


def is_fbss(system: str | None, code: str | None, text: str | None = "") -> bool:
    """Whether a coded diagnosis is post-laminectomy syndrome / FBSS (the codes in the module comment)."""
    system, code = system or "", (code or "").strip()
    compact = code.replace(".", "").upper()
    if system == SNOMED:
        return code == SNOMED_CODE
    if system in _ICD10_SYSTEMS:
        return compact.startswith("M961")
    if system == ICD11:
        return compact == "MG3021" and bool(_SPINE_WORDS.search(text or ""))
    return False


DIAGNOSIS_COLUMNS = {"patient_id": "int64", "diagnosed_on": "datetime64[ns]"}


def diagnoses_of(conditions: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per patient with the diagnosis (DIAGNOSIS_COLUMNS): the earliest date it was made on or
    before as_of (NaT when no record of it is dated). conditions: patient_id, system, code, display,
    onset_date rows (few: a clinic's diagnoses, not its visits)."""
    if conditions.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in DIAGNOSIS_COLUMNS.items()})
    keep = np.array(
        [
            is_fbss(s, c, d)
            for s, c, d in zip(conditions["system"], conditions["code"], conditions["display"], strict=True)
        ],
        dtype=bool,
    )
    rows = conditions[keep]
    onset = pd.to_datetime(rows["onset_date"])
    if as_of is not None:
        kept = onset.isna() | (onset <= as_of)
        rows, onset = rows[kept], onset[kept]
    out = (
        pd.DataFrame({"patient_id": rows["patient_id"].astype("int64"), "diagnosed_on": onset})
        .groupby("patient_id", as_index=False)["diagnosed_on"]
        .min()  # NaT is skipped: the earliest dated record, NaT only when none is dated
    )
    return out.astype(DIAGNOSIS_COLUMNS)


def unknown_surgery_index(
    known_patients: np.ndarray, diagnoses: pd.DataFrame | None, visits: pd.DataFrame, cutoff: pd.Timestamp
) -> pd.DataFrame | None:
    """(patient_id, clock_start, diagnosed_on) for patients with the diagnosis and no surgery on or before
    the cutoff, sorted by patient; None when there are none. clock_start is the day before the first
    visit up to the cutoff (the diagnosis date, else the cutoff, when there is no visit)."""
    if diagnoses is None or diagnoses.empty:
        return None
    d = diagnoses[~np.isin(diagnoses["patient_id"].to_numpy("int64"), known_patients)]
    if d.empty:
        return None
    d = d.sort_values("patient_id")
    ids = d["patient_id"].to_numpy("int64")
    # the first visit of each of these few patients: one isin over the visit ids, no per-patient loop
    vid = visits["patient_id"].to_numpy("int64")
    vday = days(visits["visit_date"].to_numpy())
    mine = np.flatnonzero(np.isin(vid, ids) & (vday <= days([cutoff.to_datetime64()])[0]))
    first = np.full(len(ids), np.iinfo("int64").max)
    np.minimum.at(first, np.searchsorted(ids, vid[mine]), vday[mine])
    diagnosed = d["diagnosed_on"].to_numpy("datetime64[ns]")
    fallback = np.where(np.isnat(diagnosed), cutoff.to_datetime64(), diagnosed).astype("datetime64[D]")
    start_day = np.where(first < np.iinfo("int64").max, first, fallback.astype("int64")) - 1
    return pd.DataFrame(
        {
            "patient_id": ids,
            "clock_start": start_day.astype("datetime64[D]").astype("datetime64[ns]"),
            "diagnosed_on": diagnosed,
        }
    )
