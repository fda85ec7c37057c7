"""The server evaluates every patient when it starts, and says when that is done, so a service manager or
a load balancer can send the first clinician only to a server whose worklist is ready."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from dashboard.server_start import READY_PATH


def _ask_ready(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url + READY_PATH, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_the_server_says_when_every_patient_has_been_evaluated_and_nothing_more(demo_url):
    deadline = time.monotonic() + 60
    status, text = _ask_ready(demo_url)
    while status == 503 and time.monotonic() < deadline:
        assert text == "evaluating every patient"
        time.sleep(0.2)
        status, text = _ask_ready(demo_url)
    assert status == 200
    assert text.startswith("ready (every patient evaluated in ") and text.endswith(" s)")
    assert "MRN" not in text and "patient_id" not in text  # a status address, open to anyone: no data
