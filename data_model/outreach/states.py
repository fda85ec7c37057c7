"""What a time point's contact log makes of the patient: not contacted, being tried, booked, declined or lost."""

# The rules (pure, over the log as a DataFrame; each time point is (patient_id, surgery_date, weeks)):
# - Attempts are taken in the order they happened (contacted_on, then the order they were logged).
# - An attempt that reached the patient (called and spoke, declined, booked) sets the state to its own
#   and starts the count of unanswered attempts again; no answer, a message left and a letter sent are
#   unanswered attempts.
# - Unanswered attempts in a row since the last reach, at least Settings.follow_up_lost_after_attempts
#   of them: lost, unreachable. A booking after them makes the patient booked again.
# - A patient who declined stays declined whatever unanswered attempts follow (it was their decision);
#   a later booking or conversation replaces it.
# - Declined and unreachable are "lost to follow-up"; a visit in the time point's window (the schedule's
#   'done') outranks any of this: the patient was seen.

from __future__ import annotations

import pandas as pd

# The outcomes staff log, in clinic words, in the order the form offers them.
OUTCOMES: dict[str, str] = {
    "called": "Called, spoke with the patient",
    "no_answer": "Called, no answer",
    "left_message": "Left a message",
    "letter_sent": "Letter sent",
    "declined": "Declined",
    "booked": "Booked",
}
REACHED = ("called", "declined", "booked")
UNANSWERED = ("no_answer", "left_message", "letter_sent")

# The states, in the order the list sorts them (the ones needing work first).
STATES: dict[str, str] = {
    "none": "Not contacted",
    "trying": "Trying to reach",
    "reached": "Spoke, not booked",
    "booked": "Booked",
    "declined": "Declined",
    "unreachable": "Unreachable",
}
LOST = ("declined", "unreachable")
KEY = ["patient_id", "surgery_date", "weeks"]
STATE_COLUMNS = [
    *KEY,
    "outreach",
    "attempts",
    "unanswered",
    "last_contact_on",
    "last_outcome",
    "next_attempt_on",
]


def state_words(state: str, lost_after: int) -> str:
    """'Unreachable after 3 attempts', 'Booked': a state as the list shows it."""
    if state == "unreachable":
        return f"Unreachable after {lost_after} attempts"
    return STATES.get(state, STATES["none"])


def outreach_states(contacts: pd.DataFrame, lost_after: int) -> pd.DataFrame:
    """One row per time point with a logged attempt (STATE_COLUMNS).

    `contacts` has KEY, contact_id, outcome, contacted_on and next_attempt_on (contacts.contacts_frame)."""
    if contacts.empty:
        return pd.DataFrame(columns=STATE_COLUMNS)
    log = contacts.sort_values([*KEY, "contacted_on", "contact_id"], kind="stable").reset_index(drop=True)
    groups = [log[k] for k in KEY]
    reached = log["outcome"].isin(REACHED)
    # the attempts since (and including) each reach form one run; count the unanswered ones in it
    run = reached.astype("int64").groupby(groups).cumsum()
    unanswered = log["outcome"].isin(UNANSWERED).astype("int64").groupby([*groups, run]).cumsum()
    last_reach = log["outcome"].where(reached).groupby(groups).ffill()
    log = log.assign(unanswered=unanswered, last_reach=last_reach)
    last = log.groupby(KEY, sort=False).tail(1).set_index(KEY)
    counts = log.groupby(KEY, sort=False).size()
    lost = (last["unanswered"] >= lost_after) & (last["last_reach"] != "declined")
    state = last["last_reach"].where(
        last["last_reach"].isin(["booked", "declined"]) | (last["unanswered"] == 0), "trying"
    )
    state = state.fillna("trying").replace({"called": "reached"}).where(~lost, "unreachable")
    frame = pd.DataFrame(
        {
            "outreach": state,
            "attempts": counts.reindex(last.index).astype("int64"),
            "unanswered": last["unanswered"].astype("int64"),
            "last_contact_on": last["contacted_on"],
            "last_outcome": last["outcome"],
            "next_attempt_on": last["next_attempt_on"],
        }
    )
    return frame.reset_index()[STATE_COLUMNS]
