"""Once a day every row is read again behind an evaluation that a new day started from held rows."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from dashboard import data
from data_model.db import make_engine, read_session
from data_model.services.evaluation import evaluate_clinic


def _wait_for_daily_read() -> None:
    for thread in threading.enumerate():
        if thread.name == "paintrail-daily-read":
            thread.join(60)


def test_an_evaluation_read_yesterday_is_replaced_by_a_fresh_read(app_db):
    today = date.today()
    engine = make_engine(app_db)
    with read_session(engine) as session:
        evaluated = evaluate_clinic(session, today)
    engine.dispose()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    # as a new day leaves it: rows read yesterday, with a row missing that a fix outside PainTrail added
    stale = replace(evaluated, read_at=yesterday, data=replace(evaluated.data, visits=evaluated.data.visits.iloc[1:]))
    held = data._HeldEvaluation()
    held.current = stale
    data._read_again_in_background(held, today)
    _wait_for_daily_read()
    assert held.current is not stale and not held.rereading  # done, and ready for the next day
    assert held.current.read_at.date() == datetime.now(UTC).date()
    assert len(held.current.data.visits) == len(evaluated.data.visits)  # the missing row is back
