"""Keep the clinic's evaluation current after a write by recomputing only the patients it touched."""

# Every write is audited (audit.py), so the audit entries after an evaluation's version say exactly
# what changed since: rows of clinical tables name their patient. refresh() re-reads and re-evaluates
# those patients alone and splices them into the held evaluation, a tenth of a second where a full
# evaluation of 100,000 patients takes seconds. It evaluates everyone again when:
# - the settings changed (every rule's thresholds), or the audit log is not the one the evaluation
#   was read from (a restore: the version went back, or its entry has another timestamp);
# - a bulk event arrived (a seed, an import, a restore), or a table this module does not know;
# - more than MAX_PATIENTS patients changed (one full pass is then as cheap).
# A new date (the next day, or a past date a clinician looks back at) is evaluated from the rows
# already held for another date when they are all it needs (redate): the rules run again for
# everyone, without the read.
# OFF_TRACK compares a recomputed patient with the clinic curve held from the last full evaluation:
# one visit moves a percentile of thousands of patients by nothing a flag could see, and the curve
# is rebuilt at the next full evaluation of everyone (at the latest, the next day).

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from .. import changes, queries
from ..flags.engine import flags_with_curve
from ..sorting import in_order
from .evaluation import ClinicalData, Evaluation, evaluate_clinic, load_clinical_data

MAX_PATIENTS = 500
PATIENT_TABLES = {"visits", "surgeries", "treatments", "conditions"}
# tables whose rows no rule reads (the worklist joins names and reviews afresh on every build)
NEUTRAL_TABLES = {"patients", "users", "flag_reviews", "site_secrets", "follow_up_contacts"}
BULK_EVENTS = {"seed", "import_csv", "import_fhir", "restore"}


@dataclass(frozen=True)
class Changes:
    """What the audit log says changed after what a reader saw: None patients means 'evaluate everyone'."""

    seen: changes.Seen  # the data now (the refreshed evaluation's version and snapshot)
    stamp: str | None
    patients: frozenset[int] | None


def changes_since(session: Session, seen: changes.Seen, stamp: str | None) -> Changes:
    """The patients written since `seen` (with its stamp); everyone when the log is not the one it was
    read from (a restore: the last id went back, or the entry at it is another one)."""
    now = changes.current(session)
    now_stamp = changes.stamp(session, now.version.last_id)
    if now.version.last_id < seen.version.last_id or changes.stamp(session, seen.version.last_id) != stamp:
        return Changes(now, now_stamp, None)
    patients: set[int] = set()
    for table, patient_id, action in changes.entries_since(session, seen, now):
        if table is None:
            if action in BULK_EVENTS:
                return Changes(now, now_stamp, None)
        elif table in PATIENT_TABLES and patient_id is not None:
            patients.add(int(patient_id))
        elif table not in NEUTRAL_TABLES:
            return Changes(now, now_stamp, None)  # settings, or a table added after this module
        if len(patients) > MAX_PATIENTS:
            return Changes(now, now_stamp, None)
    return Changes(now, now_stamp, frozenset(patients))


def refresh(session: Session, previous: Evaluation | None, as_of: date, base: Evaluation | None = None) -> Evaluation:
    """The evaluation of the data as it is now: `previous` itself when nothing relevant changed, the
    changed patients recomputed into it when few did, else everyone evaluated afresh. Without a
    previous evaluation for this date, `base` (one for another date) saves reading the database
    again when its rows are all the new date needs (redate)."""
    if previous is None and base is not None:
        previous = redate(session, base, as_of)
    if previous is None or previous.as_of != as_of or previous.curve is None:
        return evaluate_clinic(session, as_of)
    since = changes_since(session, previous.seen, previous.stamp)
    if since.patients is None:
        return evaluate_clinic(session, as_of)
    version, snapshot, stamp = since.seen.version, since.seen.snapshot, since.stamp
    if not since.patients:
        return replace(previous, version=version, snapshot=snapshot, stamp=stamp)
    ids = sorted(since.patients)
    data = load_clinical_data(session, as_of, ids)
    status, flags, _ = flags_with_curve(
        data.surgeries,
        data.visits,
        data.treatments,
        previous.settings,
        as_of,
        held_curve=previous.curve,
        diagnoses=data.diagnoses,
    )
    old, key = previous.data, np.array(ids, dtype="int64")
    return replace(
        previous,
        version=version,
        snapshot=snapshot,
        stamp=stamp,
        data=ClinicalData(
            surgeries=splice(old.surgeries, data.surgeries, key),
            visits=splice(old.visits, data.visits, key),
            treatments=splice(old.treatments, data.treatments, key),
            diagnoses=splice(old.diagnoses, data.diagnoses, key),
        ),
        status=splice(previous.status, status, key),
        flags=splice(previous.flags, flags, key),
    )


def splice(old: pd.DataFrame, new: pd.DataFrame, patient_ids: np.ndarray) -> pd.DataFrame:
    """old with the rows of these (sorted) patients replaced by new's, keeping old's patient order,
    columns and dtypes: a few slices of old around each patient, not a re-sort of everything."""
    old_pid, new_pid = old["patient_id"].to_numpy("int64"), new["patient_id"].to_numpy("int64")
    if not (in_order(old_pid) and in_order(new_pid)):
        kept = old[~np.isin(old_pid, patient_ids)]
        both = pd.concat([kept, new.astype(old.dtypes.to_dict())], ignore_index=True)
        return both.sort_values("patient_id", kind="stable", ignore_index=True)
    lo, hi = np.searchsorted(old_pid, patient_ids, "left"), np.searchsorted(old_pid, patient_ids, "right")
    new_lo, new_hi = np.searchsorted(new_pid, patient_ids, "left"), np.searchsorted(new_pid, patient_ids, "right")
    typed = new.astype(old.dtypes.to_dict()) if len(new) else new
    pieces, start = [], 0  # (frame, first row, end row)
    for i in range(len(patient_ids)):
        pieces += [(old, start, lo[i]), (typed, new_lo[i], new_hi[i])]
        start = hi[i]
    pieces = [p for p in [*pieces, (old, start, len(old))] if p[2] > p[1]]
    # column by column: pandas' concat inspects every value of an object column that is all NA in
    # one piece (a patient without notes), a tenth of a second on 100,000 surgeries
    columns = {}
    for name in old.columns:
        if isinstance(old[name].dtype, np.dtype):
            columns[name] = np.concatenate(
                [frame[name].to_numpy()[a:b] for frame, a, b in pieces] or [old[name].to_numpy()[:0]]
            )
        else:  # an extension array (the nullable boolean mcid_met)
            parts = [frame[name].array[a:b] for frame, a, b in pieces] or [old[name].array[:0]]
            columns[name] = type(parts[0])._concat_same_type(parts)
    return pd.DataFrame(columns, columns=old.columns, copy=False)


def redate(session: Session, base: Evaluation, as_of: date) -> Evaluation | None:
    """Everyone evaluated as of another date from base's rows, without reading them again (the rules'
    compute alone: a new day costs half a second, not the read of every visit). Rows dated after
    base.as_of and by as_of are not in base: None when the database holds any (then read afresh).
    The result is at base.version; refresh() then applies what was written since."""
    if base.curve is None:
        return None
    if as_of > base.as_of and queries.rows_dated_between(session, base.as_of, as_of):
        return None
    data = base.data
    if as_of < base.as_of:
        cutoff = pd.Timestamp(as_of)
        data = ClinicalData(
            surgeries=data.surgeries[data.surgeries["surgery_date"] <= cutoff].reset_index(drop=True),
            visits=data.visits[data.visits["visit_date"] <= cutoff].reset_index(drop=True),
            treatments=data.treatments[data.treatments["start_date"] <= cutoff].reset_index(drop=True),
            # a diagnosis dated after the new date was not known then (undated ones always were)
            diagnoses=data.diagnoses[~(data.diagnoses["diagnosed_on"] > cutoff)].reset_index(drop=True),
        )
    status, flags, curve = flags_with_curve(
        data.surgeries, data.visits, data.treatments, base.settings, as_of, diagnoses=data.diagnoses
    )
    return replace(base, as_of=as_of, data=data, status=status, flags=flags, curve=curve)
