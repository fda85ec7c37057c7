"""Sign-ins held by a browser's token: handed over once, ended by idling, sign-out or any change to the account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from data_model.access import accounts, sign_ins
from data_model.audit import set_actor
from data_model.db import read_session, run_write
from data_model.models import AuditEntry, SignIn, utcnow

IDLE = timedelta(minutes=30)


def _add(engine, name="ann", role="admin", password="correct-horse"):
    run_write(engine, lambda s: accounts.add_user(set_actor(s, "setup"), name, role, password))


def _signed_in_token(engine, name="ann") -> str:
    code = run_write(engine, lambda s: sign_ins.start(set_actor(s, name), name))
    token = run_write(engine, lambda s: sign_ins.claim(s, code, IDLE))
    assert token
    return token


def _change(engine, name="ann", **change):
    run_write(engine, lambda s: accounts.update_account(set_actor(s, "boss"), name, acting_admin="boss", **change))


def _set_back(engine, column, by: timedelta):
    run_write(engine, lambda s: s.execute(update(SignIn).values({column: utcnow() - by})))


@pytest.fixture
def two_admins(engine):
    _add(engine)
    _add(engine, "boss", "admin", "boss-password")
    return engine


def test_a_claimed_token_signs_its_account_in_with_its_role(engine):
    _add(engine, role="clinician")
    check = sign_ins.check(engine, _signed_in_token(engine), IDLE)
    assert (check.user.username, check.user.role, check.ended) == ("ann", "clinician", None)


def test_only_hashes_are_stored_never_the_token_or_the_code(engine):
    _add(engine)
    code = run_write(engine, lambda s: sign_ins.start(set_actor(s, "ann"), "ann"))
    token = run_write(engine, lambda s: sign_ins.claim(s, code, IDLE))
    with read_session(engine) as s:
        stored = [str(v) for v in s.execute(select(SignIn)).scalars().one().__dict__.values()]
    assert not any(code in value or token in value for value in stored)


def test_a_hand_off_code_works_once(engine):
    _add(engine)
    code = run_write(engine, lambda s: sign_ins.start(set_actor(s, "ann"), "ann"))
    assert run_write(engine, lambda s: sign_ins.claim(s, code, IDLE))
    assert run_write(engine, lambda s: sign_ins.claim(s, code, IDLE)) is None


def test_a_hand_off_code_older_than_two_minutes_is_worthless(engine):
    _add(engine)
    code = run_write(engine, lambda s: sign_ins.start(set_actor(s, "ann"), "ann"))
    _set_back(engine, "created_at", timedelta(minutes=3))
    assert run_write(engine, lambda s: sign_ins.claim(s, code, IDLE)) is None


def test_a_token_nobody_issued_signs_nobody_in(engine):
    _add(engine)
    _signed_in_token(engine)
    assert sign_ins.check(engine, "made-up-token", IDLE) == sign_ins.Check(None, sign_ins.UNKNOWN)
    assert sign_ins.check(engine, None, IDLE).user is None


@pytest.mark.parametrize(
    "change",
    [{"active": False}, {"role": "staff"}, {"password": "a-new-password"}],
    ids=["deactivated", "role changed", "password reset"],
)
def test_a_change_to_the_account_ends_its_sign_in_for_good(two_admins, change):
    token = _signed_in_token(two_admins)
    _change(two_admins, **change)
    ended = sign_ins.check(two_admins, token, IDLE)
    assert (ended.user, ended.ended) == (None, sign_ins.ACCOUNT_CHANGED)
    _change(two_admins, active=True, role="admin")  # undoing the change does not bring the sign-in back
    assert sign_ins.check(two_admins, token, IDLE).user is None


def test_locking_the_account_after_failed_passwords_ends_its_sign_in(engine):
    _add(engine)
    token = _signed_in_token(engine)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        accounts.sign_in(engine, "ann", "wrong-guess")
    assert sign_ins.check(engine, token, IDLE).ended == sign_ins.ACCOUNT_CHANGED


def test_an_unchanged_account_keeps_its_sign_in_when_an_other_account_changes(two_admins):
    token = _signed_in_token(two_admins)
    _add(two_admins, "carl", "staff", "carl-password")
    _change(two_admins, "carl", role="clinician", password="another-password")
    assert sign_ins.check(two_admins, token, IDLE).user.username == "ann"


def test_past_the_idle_limit_the_sign_in_ends_and_the_end_is_audited(engine):
    _add(engine)
    token = _signed_in_token(engine)
    _set_back(engine, "last_seen_at", IDLE + timedelta(seconds=1))
    assert sign_ins.check(engine, token, IDLE).ended == sign_ins.IDLE
    _set_back(engine, "last_seen_at", timedelta(0))  # activity after the end does not revive it
    assert sign_ins.check(engine, token, IDLE).ended == sign_ins.IDLE
    with read_session(engine) as s:
        logouts = s.execute(select(AuditEntry.actor, AuditEntry.detail).where(AuditEntry.action == "logout")).all()
    assert [(actor, '"idle"' in detail) for actor, detail in logouts] == [("ann", True)]


def test_use_within_the_idle_limit_is_recorded_and_keeps_the_sign_in(engine):
    _add(engine)
    token = _signed_in_token(engine)
    _set_back(engine, "last_seen_at", IDLE - timedelta(minutes=1))
    assert sign_ins.check(engine, token, IDLE).user is not None
    with read_session(engine) as s:
        seen = s.scalar(select(SignIn.last_seen_at))
    assert utcnow() - seen < timedelta(minutes=1)


def test_a_timer_asking_is_not_activity(engine):
    _add(engine)
    token = _signed_in_token(engine)
    _set_back(engine, "last_seen_at", IDLE - timedelta(minutes=1))
    assert sign_ins.check(engine, token, IDLE, touch=False).user is not None
    with read_session(engine) as s:
        seen = s.scalar(select(SignIn.last_seen_at))
    assert utcnow() - seen > IDLE - timedelta(minutes=2)


def test_signing_out_ends_the_sign_in_and_is_audited(engine):
    _add(engine)
    token = _signed_in_token(engine)
    sign_in_id = sign_ins.check(engine, token, IDLE).sign_in_id
    assert run_write(engine, lambda s: sign_ins.end(set_actor(s, "ann"), sign_in_id, sign_ins.SIGNED_OUT))
    assert sign_ins.check(engine, token, IDLE).ended == sign_ins.SIGNED_OUT
    with read_session(engine) as s:
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "logout")) == "ann"


def test_signing_in_again_in_the_same_browser_ends_its_previous_sign_in(engine):
    _add(engine)
    first = _signed_in_token(engine)
    code = run_write(engine, lambda s: sign_ins.start(set_actor(s, "ann"), "ann"))
    second = run_write(engine, lambda s: sign_ins.claim(s, code, IDLE, previous_token=first))
    assert sign_ins.check(engine, first, IDLE).ended == sign_ins.REPLACED
    assert sign_ins.check(engine, second, IDLE).user.username == "ann"


def test_an_inactive_account_cannot_start_a_sign_in(two_admins):
    _change(two_admins, active=False)
    with pytest.raises(ValueError, match="no active account"):
        run_write(two_admins, lambda s: sign_ins.start(set_actor(s, "ann"), "ann"))
