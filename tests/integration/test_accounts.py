"""Accounts: argon2 hashes, lockout after failed sign-ins (audited), single sign-on mapped to local roles."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from data_model.access import accounts
from data_model.audit import set_actor
from data_model.db import read_session, run_write
from data_model.models import AuditEntry, User


def _add(engine, name="ann", role="clinician", password="correct-horse"):
    run_write(engine, lambda s: accounts.add_user(set_actor(s, "setup"), name, role, password))


def _login(engine, name, password):
    return accounts.sign_in(engine, name, password)


def test_passwords_are_stored_as_argon2_hashes_never_in_clear(engine):
    _add(engine)
    with read_session(engine) as s:
        stored = s.scalar(select(User.password_hash))
    assert stored.startswith("$argon2") and "correct-horse" not in stored


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(engine):
    _add(engine)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert _login(engine, "ann", "wrong-password").user is None
    locked = _login(engine, "ann", "correct-horse")
    assert locked.user is None and locked.message == accounts.REFUSED
    with read_session(engine) as s:
        failures = s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "login_failed"))
    assert failures == accounts.MAX_FAILED_LOGINS


def test_an_admin_unlock_lets_the_user_back_in(engine):
    _add(engine)
    _add(engine, "boss", "admin", "boss-password")
    for _ in range(accounts.MAX_FAILED_LOGINS):
        _login(engine, "ann", "nope-nope")
    run_write(engine, lambda s: accounts.update_account(set_actor(s, "boss"), "ann", unlock=True, acting_admin="boss"))
    assert _login(engine, "ann", "correct-horse").user.role == "clinician"


def test_single_sign_on_maps_the_email_to_the_local_role(engine):
    run_write(engine, lambda s: accounts.add_user(set_actor(s, "setup"), "Dr.Lee@clinic.org", "clinician", None))
    ok = run_write(engine, lambda s: accounts.sso_sign_in(set_actor(s, "sso"), "dr.lee@clinic.org"))
    assert ok.user.role == "clinician"
    unknown = run_write(engine, lambda s: accounts.sso_sign_in(set_actor(s, "sso"), "stranger@else.org"))
    assert unknown.user is None and "no active PainTrail account" in unknown.message


def test_an_sso_only_account_cannot_sign_in_with_a_password(engine):
    run_write(engine, lambda s: accounts.add_user(set_actor(s, "setup"), "sso@clinic.org", "staff", None))
    assert _login(engine, "sso@clinic.org", "anything-at-all").user is None


def test_the_last_admin_cannot_be_deactivated(engine):
    _add(engine, "boss", "admin", "boss-password")
    _add(engine, "other", "clinician", "other-password")
    import pytest

    from data_model.validation import ValidationFailed

    with pytest.raises(ValidationFailed, match="last active admin"):
        run_write(engine, lambda s: accounts.update_account(set_actor(s, "x"), "boss", active=False))


def test_an_over_long_display_name_is_refused_naming_the_field_before_the_database_sees_it(engine):
    import pytest

    from data_model.validation import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        run_write(
            engine, lambda s: accounts.add_user(set_actor(s, "setup"), "ann", "clinician", "correct-horse", "N" * 201)
        )
    assert [e.field for e in refused.value.errors] == ["display_name"]
    assert "at most 200 characters (201 given)" in refused.value.errors[0].message
    with read_session(engine) as s:
        assert s.scalar(select(func.count(User.id))) == 0


def test_the_hashing_cost_is_the_standard_unless_the_site_asks_for_owasps_minimum(monkeypatch):
    monkeypatch.delenv(accounts.HASH_COST_ENV, raising=False)
    assert "$m=65536,t=3,p=4$" in accounts._password_hasher().hash("correct-horse")
    monkeypatch.setenv(accounts.HASH_COST_ENV, "minimum")
    assert "$m=19456,t=2,p=1$" in accounts._password_hasher().hash("correct-horse")
    monkeypatch.setenv(accounts.HASH_COST_ENV, "cheap")
    with pytest.raises(RuntimeError, match='PAINTRAIL_PASSWORD_HASH_COST is "cheap"'):
        accounts._password_hasher()


def test_a_password_hashed_at_another_cost_still_signs_in_and_is_rehashed_at_the_sites_cost(engine, monkeypatch):
    site_hasher = accounts._hasher
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher())  # an account made before the site changed its cost
    _add(engine)
    monkeypatch.setattr(accounts, "_hasher", site_hasher)
    assert _login(engine, "ann", "correct-horse").user.username == "ann"
    with read_session(engine) as s:
        stored = s.scalar(select(User.password_hash))
    assert site_hasher.verify(stored, "correct-horse") and not site_hasher.check_needs_rehash(stored)
