"""The site's ODI statements (licensed wording) come from its own file; without one, names and 0–5 alone."""

from __future__ import annotations

import pytest

from data_model import odi


def test_without_a_file_there_is_no_wording(monkeypatch):
    monkeypatch.delenv(odi.WORDING_ENV, raising=False)
    assert odi.load_wording().statements == {}


def test_the_site_s_statements_are_read_per_section_and_score(tmp_path, monkeypatch):
    wording = tmp_path / "odi.toml"
    wording.write_text('[walking]\nstatements = ["w0", "w1", "w2", "w3", "w4", "w5"]\n', encoding="utf-8")
    monkeypatch.setenv(odi.WORDING_ENV, str(wording))
    loaded = odi.load_wording()
    assert loaded.statement("walking", 3) == "w3"
    assert loaded.statement("lifting", 3) is None, "a section the site left out shows its scores alone"


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('[walks]\nstatements = ["a", "b", "c", "d", "e", "f"]\n', "“walks” is not an ODI section"),
        ('[walking]\nstatements = ["a", "b"]\n', "section “walking” needs `statements`, a list of six texts"),
        ("[walking\n", "odi.toml"),
    ],
)
def test_a_wording_file_that_cannot_be_used_is_refused_naming_the_file_and_the_fault(tmp_path, content, said):
    wording = tmp_path / "odi.toml"
    wording.write_text(content, encoding="utf-8")
    with pytest.raises(odi.WordingError) as failure:
        odi.load_wording(wording)
    assert str(wording) in str(failure.value) and said in str(failure.value)
