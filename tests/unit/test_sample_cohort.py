"""The synthetic cohort: deterministic, model-shaped, and calibrated to DESIGN.md's seed-page figures."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from data_model.catalog import PROCEDURE_CODES, SEXES, TREATMENTS
from data_model.models import Patient, Surgery, Treatment, Visit
from sample_data.generator import CohortFrames, generate_cohort

TODAY = date(2026, 6, 30)
PAIN = ["back_pain", "leg_pain"]
NERVES = ["numbness", "tingling", "weakness"]


@pytest.fixture(scope="module")
def cohort() -> CohortFrames:
    return generate_cohort(2000, seed=7, today=TODAY)


def _first_surgeries(cohort: CohortFrames) -> pd.DataFrame:
    surgeries = cohort.surgeries.sort_values(["mrn", "surgery_date"], kind="stable")
    first = surgeries.groupby("mrn", sort=False).first()[["surgery_date", "procedure"]]
    return first.assign(n_surgeries=surgeries.groupby("mrn").size())


def _visits_since_first_surgery(cohort: CohortFrames) -> pd.DataFrame:
    visits = cohort.visits.join(_first_surgeries(cohort), on="mrn")
    return visits.assign(days=(visits["visit_date"] - visits["surgery_date"]).dt.days)


def _baselines(visits: pd.DataFrame) -> pd.DataFrame:
    """The last visit within 90 days before the first surgery, per patient."""
    before = visits[(visits["days"] < 0) & (visits["days"] >= -90)]
    return before.sort_values("visit_date").groupby("mrn").last()


def _first_visit_between(visits: pd.DataFrame, low: int, high: int) -> pd.DataFrame:
    window = visits[(visits["days"] >= low) & (visits["days"] <= high)]
    return window.sort_values("visit_date").groupby("mrn").first()


# --- Determinism and shape ------------------------------------------------------------------------


def test_the_same_seed_gives_identical_frames():
    a, b = (generate_cohort(300, seed=11, today=TODAY) for _ in range(2))
    for name in ("patients", "surgeries", "visits", "treatments", "archetypes"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_a_different_seed_gives_a_different_cohort():
    a = generate_cohort(300, seed=11, today=TODAY)
    b = generate_cohort(300, seed=12, today=TODAY)
    assert not a.visits.equals(b.visits)
    assert not a.surgeries["surgery_date"].equals(b.surgeries["surgery_date"])


def test_columns_are_those_of_the_models():
    frames = generate_cohort(50, seed=1, today=TODAY)
    for frame, model in (
        (frames.patients, Patient),
        (frames.surgeries, Surgery),
        (frames.visits, Visit),
        (frames.treatments, Treatment),
    ):
        assert set(frame.columns) - {"mrn"} <= set(model.__table__.columns.keys())
    assert list(frames.treatments.columns) == ["mrn", "code", "start_date", "end_date", "notes"]


def test_no_patients_gives_empty_frames_with_the_columns():
    frames = generate_cohort(0, seed=1, today=TODAY)
    assert frames.counts() == {"patients": 0, "surgeries": 0, "visits": 0, "treatments": 0}
    assert "visit_date" in frames.visits.columns


def test_mrns_are_unique_and_every_row_belongs_to_a_patient(cohort):
    mrns = cohort.patients["mrn"]
    assert mrns.is_unique and mrns.str.fullmatch(r"MRN\d{6}").all()
    for frame in (cohort.surgeries, cohort.visits, cohort.treatments):
        assert frame["mrn"].isin(mrns).all()
    assert cohort.surgeries.groupby("mrn").size().reindex(mrns).notna().all()


def test_patients_have_plausible_names_ages_and_sexes(cohort):
    p = cohort.patients
    assert p["display_name"].str.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+").all()
    assert p["display_name"].nunique() > 300
    assert p["sex"].isin(SEXES).all() and p["sex"].value_counts(normalize=True)[["female", "male"]].min() > 0.4
    assert p["birth_year"].between(TODAY.year - 95, TODAY.year - 18).all()


# --- Calibration against the seed pages --------------------------------------------------------------


def test_procedure_mix_follows_the_seed_shares(cohort):
    shares = _first_surgeries(cohort)["procedure"].value_counts(normalize=True)
    expected = {"discectomy": 0.40, "laminectomy": 0.30, "fusion": 0.25, "other": 0.05}
    assert set(shares.index) <= set(PROCEDURE_CODES)
    for procedure, share in expected.items():
        assert shares[procedure] == pytest.approx(share, abs=0.04)


def test_discectomy_relieves_leg_pain_in_about_85_percent_at_3_months(cohort):
    visits = _visits_since_first_surgery(cohort)
    three_months = _first_visit_between(visits, 70, 120)
    three_months = three_months[three_months["procedure"] == "discectomy"].dropna(subset=["leg_pain"])
    baseline = _baselines(visits)["leg_pain"].reindex(three_months.index)
    relieved = (three_months["leg_pain"] < 4) | (three_months["leg_pain"] <= 0.7 * baseline)
    assert len(three_months) > 300
    assert relieved.mean() == pytest.approx(0.85, abs=0.07)


def test_only_10_to_40_percent_of_fusion_patients_are_pain_free_at_a_year(cohort):
    visits = _visits_since_first_surgery(cohort)
    year = _first_visit_between(visits[visits["n_surgeries"] == 1], 300, 430)
    fusion = year[year["procedure"] == "fusion"].dropna(subset=PAIN)
    pain_free = fusion[PAIN].max(axis=1) < 3
    assert len(fusion) > 100
    assert 0.10 <= pain_free.mean() <= 0.40


def test_fusion_is_back_dominant_and_discectomy_leg_dominant_before_surgery(cohort):
    baseline = _baselines(_visits_since_first_surgery(cohort))
    disc, fusion = (baseline[baseline["procedure"] == p] for p in ("discectomy", "fusion"))
    assert disc["leg_pain"].mean() > disc["back_pain"].mean() + 1.5
    assert fusion["back_pain"].mean() > fusion["leg_pain"].mean() + 1.5


def test_about_15_percent_have_a_revision_and_some_a_second(cohort):
    n_surgeries = _first_surgeries(cohort)["n_surgeries"]
    assert 0.08 <= (n_surgeries > 1).mean() <= 0.22
    assert (n_surgeries > 2).sum() > 0


def test_patients_after_a_revision_do_worse_than_after_one_surgery(cohort):
    visits = _visits_since_first_surgery(cohort)
    latest = visits.dropna(subset=PAIN).sort_values("visit_date").groupby("mrn").last()
    latest = latest[latest["days"] >= 180]
    relieved = latest[PAIN].max(axis=1) < 4
    revised = latest["n_surgeries"] > 1
    assert relieved[revised].mean() < relieved[~revised].mean() - 0.15


def test_success_falls_with_each_repeat_surgery(cohort):
    truth = cohort.archetypes
    full = truth.groupby("surgery_number")["archetype"].apply(lambda a: (a == "full").mean())
    assert full[1] > full[2]


def test_missing_baselines_occur_but_most_patients_have_one(cohort):
    visits = _visits_since_first_surgery(cohort)
    has_baseline = cohort.patients["mrn"].isin(_baselines(visits).index)
    assert 0.03 <= 1 - has_baseline.mean() <= 0.15
    # Some patients have only an older pre-operative score, which is not a baseline.
    older = visits[visits["days"] < -90]["mrn"]
    assert (~cohort.patients["mrn"].isin(_baselines(visits).index) & cohort.patients["mrn"].isin(older)).any()


def test_registry_follow_ups_are_mostly_kept(cohort):
    visits = _visits_since_first_surgery(cohort)
    first = _first_surgeries(cohort)
    due = first[(pd.Timestamp(TODAY) - first["surgery_date"]).dt.days > 70].index
    seen = _first_visit_between(visits, 28, 56).index
    assert pd.Index(due).isin(seen).mean() == pytest.approx(0.85, abs=0.06)


def test_persistent_patients_are_seen_more_often(cohort):
    truth = cohort.archetypes[cohort.archetypes["surgery_number"] == 1].set_index("mrn")["archetype"]
    per_patient = cohort.visits.groupby("mrn").size().reindex(truth.index, fill_value=0)
    assert per_patient[truth == "persistent"].mean() > 1.5 * per_patient[truth == "full"].mean()
    assert len(cohort.visits) / len(cohort.patients) <= 20


def test_late_responders_improve_after_the_treatment_that_works(cohort):
    truth = cohort.archetypes[cohort.archetypes["surgery_number"] == 1]
    late = truth[truth["archetype"] == "late"]["mrn"]
    t = cohort.treatments
    works = t["mrn"].isin(late) & t["code"].isin(["radiofrequency_ablation", "scs_implant"])
    effective = t[works].groupby("mrn")["start_date"].min()
    visits = cohort.visits.join(effective.rename("treated"), on="mrn", how="inner")
    days = (visits["visit_date"] - visits["treated"]).dt.days
    worse = visits[PAIN].max(axis=1)
    assert worse[(days > 30) & (days < 180)].mean() < worse[(days < 0) & (days > -180)].mean() - 1.5


# --- Ranges and dates -----------------------------------------------------------------------------


def test_nothing_is_dated_after_today(cohort):
    today = pd.Timestamp(TODAY)
    assert (cohort.surgeries["surgery_date"] <= today).all()
    assert (cohort.visits["visit_date"] <= today).all()
    assert (cohort.treatments["start_date"] <= today).all()
    assert (cohort.treatments["end_date"].dropna() <= today).all()


def test_values_are_in_range_with_one_decimal_and_some_whole_numbers(cohort):
    v = cohort.visits
    for column in PAIN:
        values = v[column].dropna()
        assert values.between(0, 10).all()
        assert np.allclose(values * 10, np.round(values * 10))
    assert v["odi"].dropna().between(0, 100).all()
    assert v["mme_per_day"].dropna().ge(0).all()
    for column in NERVES:
        assert v[column].dropna().isin([0.0, 1.0]).all() and v[column].isna().any()
    assert v[PAIN + ["odi"]].notna().any(axis=1).all()
    whole = v.dropna(subset=PAIN).groupby("mrn")[PAIN].agg(lambda s: (s % 1 == 0).all()).all(axis=1)
    assert 0.2 < whole.mean() < 0.8
    assert v["back_pain"].isna().any() and v["odi"].isna().any() and v["mme_per_day"].isna().any()


def test_odi_tracks_pain(cohort):
    v = cohort.visits.dropna(subset=PAIN + ["odi"])
    assert np.corrcoef(v[PAIN].max(axis=1), v["odi"])[0, 1] > 0.7


def test_visits_are_one_a_day_per_patient(cohort):
    assert not cohort.visits.duplicated(["mrn", "visit_date"]).any()


def test_nerve_symptoms_are_commoner_when_pain_persists_and_some_appear_later(cohort):
    truth = cohort.archetypes[cohort.archetypes["surgery_number"] == 1].set_index("mrn")["archetype"]
    visits = _visits_since_first_surgery(cohort)
    after = visits[(visits["days"] > 90) & (visits["n_surgeries"] == 1)]
    kind = truth.reindex(after["mrn"]).to_numpy()
    any_symptom = after[NERVES].max(axis=1)
    assert any_symptom[kind == "persistent"].mean() > any_symptom[kind == "full"].mean() + 0.2
    post = visits[visits["days"] > 0].sort_values(["mrn", "visit_date"])
    previous = post.groupby("mrn")["weakness"].shift()
    assert ((post["weakness"] == 1) & (previous == 0)).sum() > 10


def test_opioid_doses_include_high_ones_and_some_continue_past_3_months(cohort):
    visits = _visits_since_first_surgery(cohort)
    highest = visits.groupby("mrn")["mme_per_day"].max()
    assert 0.15 < (highest > 0).mean() < 0.45
    assert (highest >= 50).sum() > 40
    assert 0 < (highest >= 90).sum() < (highest >= 50).sum()
    continued = visits[(visits["days"] > 91) & (visits["mme_per_day"] > 0)]["mrn"].nunique()
    assert continued > 100


# --- Treatments -----------------------------------------------------------------------------------


def test_treatments_are_catalogue_codes_started_after_surgery(cohort):
    t = cohort.treatments.join(_first_surgeries(cohort), on="mrn")
    assert t["code"].isin(list(TREATMENTS)).all()
    assert (t["start_date"] >= t["surgery_date"]).all()
    ended = t.dropna(subset=["end_date"])
    assert (ended["end_date"] >= ended["start_date"]).all()
    assert t["end_date"].isna().any() and t["end_date"].notna().any()


def test_treatments_mostly_follow_the_stepped_order(cohort):
    t = cohort.treatments.sort_values(["mrn", "start_date"], kind="stable")
    step = t["code"].map({code: tr.step for code, tr in TREATMENTS.items()})
    t = t.assign(step=step)
    tried_several = t.groupby("mrn").filter(lambda g: len(g) > 1)
    in_order = tried_several.groupby("mrn")["step"].agg(lambda s: s.iloc[0] <= s.iloc[1:].min())
    assert len(in_order) > 300
    assert in_order.mean() > 0.8


def test_persistent_patients_try_more_steps(cohort):
    truth = cohort.archetypes[cohort.archetypes["surgery_number"] == 1].set_index("mrn")["archetype"]
    per_patient = cohort.treatments.groupby("mrn").size().reindex(truth.index, fill_value=0)
    assert per_patient[truth == "persistent"].mean() > 2 * per_patient[truth == "full"].mean()
    interventional = cohort.treatments[
        cohort.treatments["code"].map(lambda c: TREATMENTS[c].group in ("interventional", "neuromodulation"))
    ]
    assert interventional["mrn"].isin(truth[truth == "full"].index).mean() < 0.1


def test_a_dense_clinic_sees_everyone_about_twenty_times_and_keeps_the_calibrated_visits():
    plain = generate_cohort(500, seed=5, today=TODAY)
    dense = generate_cohort(500, seed=5, today=TODAY, visits_per_patient=20)
    per_patient = len(dense.visits) / 500
    assert 17 <= per_patient <= 23, per_patient
    assert not dense.visits.duplicated(["mrn", "visit_date"]).any()  # still one visit a day per patient
    assert (dense.visits["visit_date"] <= pd.Timestamp(TODAY)).all()
    pd.testing.assert_frame_equal(dense.patients, plain.patients)
    pd.testing.assert_frame_equal(dense.surgeries, plain.surgeries)
    # the routine visits come on top: every calibrated visit's date is still there
    key = ["mrn", "visit_date"]
    kept = plain.visits[key].merge(dense.visits[key], on=key, how="left", indicator=True)
    assert (kept["_merge"] == "both").all()


def test_visits_per_patient_must_be_positive():
    with pytest.raises(ValueError, match="visits_per_patient"):
        generate_cohort(10, seed=1, today=TODAY, visits_per_patient=0)
