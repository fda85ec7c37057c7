"""Hostile FHIR files between two good bundles: nesting of any depth, numbers of thousands of digits, junk
bytes, bundles whose resources are odd in every way. The import never raises, the good bundles import,
and a file that is refused is one line that names it, without a traceback.

Hypothesis runs derandomized (the same examples every run) with no example database, so CI is stable.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from data_model.exchange.fhir.bundle_import import import_fhir
from tests.helpers.hostile import HOSTILE_STRINGS, OTHER_DIGITS
from tests.helpers.hostile_csv import next_example

FHIR = Path(__file__).resolve().parent.parent / "fixtures" / "fhir"
TODAY = date(2026, 6, 1)
FEW = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _nested(depth: int, opener: str) -> str:
    closer = {"[": "]", '{"a":': "}"}[opener]
    return '{"resourceType": "Bundle", "entry": [' + opener * depth + "1" + closer * depth + "]}"


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(), st.sampled_from(HOSTILE_STRINGS)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=12,
)


@st.composite
def odd_bundle(draw) -> str:
    """A Bundle whose entries are resources of the types PainTrail reads, with any values in them."""
    kind = draw(st.sampled_from(["Patient", "Observation", "Procedure", "MedicationRequest", "Condition"]))
    resource = {
        "resourceType": kind,
        "id": draw(st.text(max_size=10)),
        **draw(
            st.dictionaries(
                st.sampled_from(
                    [
                        "subject",
                        "code",
                        "valueQuantity",
                        "birthDate",
                        "identifier",
                        "name",
                        "effectiveDateTime",
                        "status",
                        "extension",
                    ]
                ),
                json_value,
                max_size=5,
            )
        ),
    }
    if kind == "Patient" and draw(st.booleans()):
        resource["birthDate"] = draw(st.sampled_from(OTHER_DIGITS)) + "-01-01"
    return json.dumps({"resourceType": "Bundle", "entry": [{"resource": resource}]}, allow_nan=True)


hostile_file = st.one_of(
    st.builds(_nested, st.sampled_from([50, 900, 1000, 3000, 100_000]), st.sampled_from(["[", '{"a":'])),
    st.sampled_from([4300, 4301, 5000, 20_000]).map(
        lambda n: '{"resourceType": "Bundle", "entry": [], "total": ' + "7" * n + "}"
    ),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    json_value.map(lambda v: json.dumps(v, allow_nan=True)),
    odd_bundle(),
)


@FEW
@given(middle=hostile_file)
def test_a_hostile_file_between_two_good_bundles_never_stops_them_and_is_named_in_one_line(
    sqlite_engine, tmp_path, middle
):
    folder = tmp_path / f"run{next_example()}"
    folder.mkdir()
    (folder / "a_spine.json").write_bytes((FHIR / "spine_followup.json").read_bytes())
    (folder / "b_hostile.json").write_text(middle, encoding="utf-8", errors="surrogatepass")
    (folder / "c_trimmed.json").write_bytes((FHIR / "synthea_trimmed.json").read_bytes())

    report = import_fhir(sqlite_engine, [folder], "fuzz", today=TODAY, label=lambda p: p.name)

    assert [b.path for b in report.bundles] == ["a_spine.json", "b_hostile.json", "c_trimmed.json"]
    assert report.bundles[0].ok and report.bundles[2].ok, (report.bundles[0].rejected, report.bundles[2].rejected)
    hostile = report.bundles[1]
    event("rejected" if hostile.rejected else "imported")
    if hostile.rejected:
        assert "\n" not in hostile.rejected and "Traceback" not in hostile.rejected
        assert str(tmp_path) not in hostile.rejected, "no server path in a report"
        assert len(hostile.rejected) < 400
    assert all("\n" not in line for line in hostile.errors)
