"""The clinician's worklist: one row per flagged patient, most severe first."""

# Row content: the patient's flag codes joined by ';' (most severe first, then catalogue order),
# the highest severity and its rank, how many flags, the reason sentences joined by ' | ' in the
# same order as the codes (a plain string, so the CLI's CSV/JSON and st.dataframe need no
# conversion; split on REASON_SEPARATOR to get a list), then every status column.
# Order: severity rank desc, current pain desc (unknown last), weeks since surgery desc, patient.

from __future__ import annotations

import numpy as np
import pandas as pd

from ..arrays import empty_frame, segment_starts
from ..catalog import FLAG_CODES, SEVERITY_RANK
from ..recovery import STATUS_COLUMNS

FLAG_SEPARATOR = ";"
REASON_SEPARATOR = " | "

WORKLIST_COLUMNS: dict[str, str] = {
    "patient_id": "int64",
    "flags": "object",
    "severity": "object",
    "severity_rank": "int64",
    "flag_count": "int64",
    "reasons": "object",
    "acceptable_state": "object",  # PASS in clinic words: ACCEPTABLE_STATE_TEXT
    **{c: t for c, t in STATUS_COLUMNS.items() if c != "patient_id"},
}
# the patient acceptable symptom state (recovery.py pass_met), as the worklist says it
ACCEPTABLE_STATE_TEXT = {True: "acceptable", False: "not acceptable", None: "not scored"}
_SEVERITY_OF_RANK = {rank: severity for severity, rank in SEVERITY_RANK.items()}


def _join(values: np.ndarray, starts: np.ndarray, counts: np.ndarray, sep: str) -> np.ndarray:
    """Each patient's values joined in row order: one vectorised pass per flag position, not per row."""
    out = values[starts].copy()
    for k in range(1, int(counts.max(initial=0))):
        more = counts > k
        out[more] = out[more] + sep + values[starts[more] + k]
    return out


def empty_worklist() -> pd.DataFrame:
    return empty_frame(WORKLIST_COLUMNS)


def build_worklist(status: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """One row per patient with at least one flag (WORKLIST_COLUMNS), most severe first."""
    if flags.empty:
        return empty_worklist()
    # codes unknown to the catalogue (a rule from a newer version) sort after the known ones
    code_order = flags["code"].map({c: i for i, c in enumerate(FLAG_CODES)}).fillna(len(FLAG_CODES))
    f = flags.assign(_rank=flags["severity"].map(SEVERITY_RANK).fillna(0).astype("int64"), _order=code_order)
    f = f.sort_values(["patient_id", "_rank", "_order"], ascending=[True, False, True], kind="stable")
    patient = f["patient_id"].to_numpy()
    starts = np.flatnonzero(segment_starts(patient))
    counts = np.diff(np.r_[starts, len(f)])
    rank = f["_rank"].to_numpy()
    rows = pd.DataFrame(
        {
            "patient_id": patient[starts],
            "flags": _join(f["code"].to_numpy(dtype=object), starts, counts, FLAG_SEPARATOR),
            # rows are sorted most severe first within a patient, so the first rank is the max
            "severity_rank": rank[starts],
            "flag_count": counts,
            "reasons": _join(f["reason"].to_numpy(dtype=object), starts, counts, REASON_SEPARATOR),
        }
    )
    rows["severity"] = rows["severity_rank"].map(_SEVERITY_OF_RANK)
    out = rows.merge(status, on="patient_id", how="left", validate="one_to_one")
    in_pass = out["pass_met"].astype("boolean")
    out["acceptable_state"] = np.select(
        [in_pass.eq(True).fillna(False), in_pass.eq(False).fillna(False)],
        [ACCEPTABLE_STATE_TEXT[True], ACCEPTABLE_STATE_TEXT[False]],
        ACCEPTABLE_STATE_TEXT[None],
    ).astype(object)
    out = out.sort_values(
        ["severity_rank", "current_pain", "weeks_since_surgery", "patient_id"],
        ascending=[False, False, False, True],
        na_position="last",
        kind="stable",
    )
    return out.reindex(columns=list(WORKLIST_COLUMNS)).reset_index(drop=True)
