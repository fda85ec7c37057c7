"""formatting.plain: user text through Markdown comes out as the characters typed, with nothing left that
Markdown or the renderer's autolinks could act on."""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import strategies as st

from dashboard.formatting import plain

JOINER = "\u2060"
PUNCTUATION = set(string.punctuation)


def _as_rendered(source: str) -> str:
    """What a CommonMark renderer shows for text made only of escapes and plain characters."""
    return re.sub(r"\\(.)", r"\1", source).replace(JOINER, "")


@given(st.text())
def test_the_escaped_text_renders_back_to_exactly_what_was_typed(text):
    assert _as_rendered(plain(text)) == text


@given(st.lists(st.sampled_from([*string.printable, "www.", "WWW.", "http://", "mailto:", "a@b.org"])).map("".join))
def test_no_punctuation_is_left_unescaped_and_no_address_is_left_whole(text):
    shown = plain(text)
    unescaped = re.sub(r"\\.", "", shown)
    assert not PUNCTUATION & set(unescaped), "every ASCII punctuation character is escaped"
    assert "://" not in shown.replace("\\", "") and not re.search(r"(?i)www\\?\.", shown)
    for i, ch in enumerate(shown):
        if ch == "@" and shown[i - 1] == "\\":  # a mail address could start here: always broken
            assert shown[i + 1] == JOINER
        if ch == ":" and shown[i - 1] == "\\":  # an :icon: or a scheme could start only before a non-space
            assert i + 1 == len(shown) or shown[i + 1] == JOINER or shown[i + 1].isspace()
