"""Progress lines on stderr, from the orchestrator and from the seeding and measuring processes alike."""

from __future__ import annotations

import sys
import time


def say(message: str) -> None:
    """One line on stderr, flushed at once so a long step shows while it runs."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
