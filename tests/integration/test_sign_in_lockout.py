"""Sign-in under attack: lockout holds whatever the concurrency, and a refusal never tells a real account
from an unknown one (same message, same work: one argon2 verification on every path)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.pool import NullPool

from data_model.access import accounts
from data_model.audit import set_actor
from data_model.db import make_engine, read_session, run_write
from data_model.models import AuditEntry, User
from tests.conftest import subprocess_url

PARALLEL_GUESSES = 30


def _add(engine, name="ann", role="clinician", password="correct-horse", active=True):
    run_write(engine, lambda s: accounts.add_user(set_actor(s, "setup"), name, role, password))
    if not active:
        run_write(engine, lambda s: accounts.update_account(set_actor(s, "setup"), name, active=False))


def _judged(engine, name: str) -> int:
    """Attempts whose password was checked against the account's own hash (audited as 'wrong password')."""
    with read_session(engine) as s:
        details = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "login_failed"))
        return sum(1 for d in details if d is not None and f'"username": "{name}"' in d and "wrong password" in d)


def _account(engine, name: str) -> User:
    with read_session(engine) as s:
        return s.execute(select(User).where(User.username == name)).scalar_one()


class _CountingHasher:
    """The real argon2 hasher, counting which hashes it verified against."""

    def __init__(self, real):
        self.real, self.verified = real, []

    def verify(self, hashed, password):
        self.verified.append(hashed)
        return self.real.verify(hashed, password)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture
def counting_hasher(monkeypatch):
    counting = _CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


def test_thirty_parallel_wrong_guesses_judge_at_most_five_and_leave_the_account_locked(engine, counting_hasher):
    _add(engine)
    real_hash = _account(engine, "ann").password_hash
    url, _ = subprocess_url(engine)
    # One connection per attempt, all opened at once: the race the lockout must hold against.
    parallel = make_engine(url, poolclass=NullPool)
    start = threading.Barrier(PARALLEL_GUESSES)

    def guess(number: int) -> accounts.LoginResult:
        start.wait()
        return accounts.sign_in(parallel, "ann", f"wrong-guess-{number}")

    try:
        with ThreadPoolExecutor(PARALLEL_GUESSES) as pool:
            results = list(pool.map(guess, range(PARALLEL_GUESSES)))
    finally:
        parallel.dispose()

    assert all(r.user is None for r in results)
    assert len(counting_hasher.verified) == PARALLEL_GUESSES, "every guess did the same work"
    assert counting_hasher.verified.count(real_hash) <= accounts.MAX_FAILED_LOGINS, "at most 5 were judged"
    assert _judged(engine, "ann") <= accounts.MAX_FAILED_LOGINS
    assert _account(engine, "ann").locked_until is not None
    assert accounts.sign_in(engine, "ann", "correct-horse").user is None, "locked: even the right password is refused"


def test_five_wrong_passwords_lock_the_account_and_the_right_one_then_gets_the_same_refusal(engine):
    _add(engine)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert accounts.sign_in(engine, "ann", "wrong-password").message == accounts.REFUSED

    locked = accounts.sign_in(engine, "ann", "correct-horse")

    assert locked.user is None and locked.message == accounts.REFUSED
    assert _judged(engine, "ann") == accounts.MAX_FAILED_LOGINS
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "account_locked")) == 1


def test_a_right_password_before_the_limit_clears_the_count(engine):
    _add(engine)
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        accounts.sign_in(engine, "ann", "wrong-password")

    assert accounts.sign_in(engine, "ann", "correct-horse").user.username == "ann"
    assert _account(engine, "ann").failed_logins == 0
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        accounts.sign_in(engine, "ann", "wrong-password")
    assert accounts.sign_in(engine, "ann", "correct-horse").user is not None, "the count started again"


def test_every_refusal_says_the_same_thing_and_verifies_one_argon2_hash(engine, counting_hasher):
    _add(engine, "ann")
    _add(engine, "gone", active=False)
    run_write(engine, lambda s: accounts.add_user(set_actor(s, "setup"), "sso@clinic.org", "staff", None))
    _add(engine, "bolt")
    for _ in range(accounts.MAX_FAILED_LOGINS):
        accounts.sign_in(engine, "bolt", "wrong-password")
    attempts = {
        "wrong password": ("ann", "not-her-password"),
        "unknown name": ("nobody-here", "not-her-password"),
        "inactive account": ("gone", "correct-horse"),
        "single sign-on only": ("sso@clinic.org", "anything-at-all"),
        "locked account": ("bolt", "correct-horse"),
        "name too long for any account": ("x" * 65, "correct-horse"),
    }
    for why, (name, password) in attempts.items():
        counting_hasher.verified.clear()

        refused = accounts.sign_in(engine, name, password)

        assert refused.user is None, why
        assert refused.message == accounts.REFUSED, why
        assert len(counting_hasher.verified) == 1, f"{why}: one argon2 verification, as for a real account"
        assert counting_hasher.verified[0].startswith("$argon2"), why


def test_an_over_long_user_name_at_sign_in_is_refused_without_a_database_error(engine):
    _add(engine)

    refused = accounts.sign_in(engine, "a" * 65, "correct-horse")

    assert refused.user is None and refused.message == accounts.REFUSED
    with read_session(engine) as s:
        actors = set(s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "login_failed")))
    assert actors == {"anonymous"}
