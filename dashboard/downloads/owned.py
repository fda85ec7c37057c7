"""Downloads that belong to the sign-in that asked for them: made on click, then fetched once by that browser.

Streamlit serves a download button's file at /media/<hash> to anyone who has the address. The app's
web server (dashboard/web.py) asks here before it serves one: only the browser whose sign-in made
the file (dashboard/downloads/buttons.py holds it for that sign-in when the click makes it), only while that
sign-in holds, only within a minute, and only once.
"""

from __future__ import annotations

import hashlib
import threading
import time

from data_model.access import sign_ins

LIFETIME_SECONDS = 60.0  # the browser fetches a made file at once; one left unfetched is forgotten

_lock = threading.Lock()
# sha256 of a file's bytes -> {sha256 of the owner's sign-in token: when the right to fetch it lapses}
_owners: dict[str, dict[str, float]] = {}


def hold(content: bytes, token: str) -> None:
    """Let the browser holding this sign-in token fetch this file, once, within LIFETIME_SECONDS."""
    now = time.monotonic()
    with _lock:
        for key in [key for key, owners in _owners.items() if max(owners.values()) < now]:
            del _owners[key]
        _owners.setdefault(_sha(content), {})[sign_ins.digest(token)] = now + LIFETIME_SECONDS


def release(content: bytes, token: str | None, *, take: bool) -> bool:
    """May the browser holding this token fetch this file now? take=True uses its one fetch up."""
    if not token:
        return False
    key, owner = _sha(content), sign_ins.digest(token)
    with _lock:
        owners = _owners.get(key, {})
        deadline = owners.get(owner)
        if deadline is None or deadline < time.monotonic():
            return False
        if take:
            del owners[owner]
            if not owners:
                _owners.pop(key, None)
        return True


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
