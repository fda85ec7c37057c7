"""Post-laminectomy syndrome (FBSS) with no recorded surgery: past every window, dated, not invisible (issue 14, part 4)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from data_model import fbss
from tests.unit import builders
from tests.unit.builders import Cohort, flag, week

AS_OF = date(2026, 1, 15)
# Pain 6-10 over three years, a visit every four months or so: the FBSS patient, surgery elsewhere.
COURSE = (
    (date(2023, 1, 10), 6),
    (date(2023, 5, 10), 7),
    (date(2023, 9, 12), 8),
    (date(2024, 1, 9), 9),
    (date(2024, 5, 14), 10),
    (date(2024, 9, 10), 8),
    (date(2025, 1, 14), 7),
    (date(2025, 5, 13), 9),
    (date(2025, 9, 9), 8),
    (date(2025, 12, 9), 7),
)


def fbss_patient(cohort: Cohort, patient_id: int, diagnosed: date | None = date(2023, 3, 1)) -> Cohort:
    for on, back in COURSE:
        cohort.visit(patient_id, on, back=back)
    return cohort.fbss(patient_id, diagnosed)


def test_fbss_without_a_surgery_has_persistent_pain_naming_the_diagnosis_and_its_date():
    flags = fbss_patient(Cohort(), 1).flags(as_of=AS_OF)
    row = flag(flags, 1, "PERSISTENT_PAIN")
    # the latest visit alone is recent (the one before is 3 months earlier): 7/10, severe (>= 7);
    # the first visit (6/10) is the baseline: 1 point, 1/6 = 17 % higher
    assert row["severity"] == "high"
    assert row["reason"] == (
        "Back pain 7/10 on 2025-12-09; surgery date unknown; post-laminectomy syndrome diagnosed on 2023-03-01 "
        "(baseline: the first recorded visit, 2023-01-10); baseline 6, 17 % higher"
    )


def test_fbss_without_a_surgery_is_not_improved_since_the_first_visit():
    row = flag(fbss_patient(Cohort(), 1).flags(as_of=AS_OF), 1, "NO_MEANINGFUL_IMPROVEMENT")
    assert row["severity"] == "high"  # 7 now against 6 at the first visit: no improvement at all
    assert "short of the 2-point or 30 % meaningful improvement" in row["reason"]
    assert "week" not in row["reason"]


def test_fbss_without_a_surgery_has_no_weeks_since_surgery_and_clinic_words_for_the_procedure():
    st = fbss_patient(Cohort(), 1).status(as_of=AS_OF).loc[1]
    assert not st["surgery_known"]
    assert pd.isna(st["weeks_since_surgery"]) and pd.isna(st["last_visit_week"])
    assert st["procedure"] == fbss.PROCEDURE
    assert st["diagnosed_on"] == pd.Timestamp("2023-03-01")
    assert st["window_ended"] and st["evidence_past_window"]


def test_a_diagnosis_without_a_date_still_brings_the_patient_in_and_says_so():
    row = flag(fbss_patient(Cohort(), 1, diagnosed=None).flags(as_of=AS_OF), 1, "PERSISTENT_PAIN")
    assert "post-laminectomy syndrome diagnosed (date not recorded)" in row["reason"]


def test_one_visit_is_persistent_pain_but_never_a_lack_of_improvement():
    cohort = Cohort().visit(1, date(2025, 12, 9), leg=8).fbss(1, date(2020, 6, 1))
    flags = cohort.flags(as_of=AS_OF)
    assert builders.codes(flags, 1) == ["PERSISTENT_PAIN"]
    # the one visit is its own baseline: the pain and the diagnosis, no comparison with itself
    assert flag(flags, 1, "PERSISTENT_PAIN")["reason"] == (
        "Leg pain 8/10 on 2025-12-09; surgery date unknown; post-laminectomy syndrome diagnosed on 2020-06-01"
    )


def test_worsening_without_a_surgery_names_dates_not_weeks():
    cohort = (
        Cohort()
        .visit(1, date(2025, 1, 10), back=4)
        .visit(1, date(2025, 4, 10), back=4)
        .visit(1, date(2025, 7, 10), back=4)
        .visit(1, date(2025, 11, 10), back=8)
        .fbss(1, date(2024, 2, 1))
    )
    row = flag(cohort.flags(as_of=AS_OF), 1, "WORSENING")
    # 8 against the mean of the two visits before (4, 4): 4 points; 8 against the first visit's 4: 4 points
    assert row["reason"] == (
        "Pain rising to 8/10 on 2025-11-10 from a mean of 4 over the 2 visits before; "
        "back pain 8/10 on 2025-11-10, 4 points above its baseline of 4"
    )


def test_the_diagnosis_changes_nothing_when_a_surgery_is_recorded():
    with_diagnosis = Cohort().surgery(1).visit(1, builders.day(-10), leg=8).visit(1, week(14), leg=6)
    with_diagnosis.fbss(1, date(2025, 1, 1))
    without = Cohort().surgery(1).visit(1, builders.day(-10), leg=8).visit(1, week(14), leg=6)
    got, expected = with_diagnosis.flags(as_of=week(15)), without.flags(as_of=week(15))
    assert flag(got, 1, "PERSISTENT_PAIN")["reason"] == (
        "Leg pain 6/10 at week 14, past the 6-week discectomy window; baseline 8, 25 % lower"
    )
    pd.testing.assert_frame_equal(got, expected)
    assert bool(with_diagnosis.status(as_of=week(15)).loc[1, "surgery_known"])


def test_no_surgery_and_no_diagnosis_stays_off_the_list():
    cohort = Cohort()
    for on, back in COURSE:
        cohort.visit(1, on, back=back)
    assert cohort.flags(as_of=AS_OF).empty
    assert cohort.status(as_of=AS_OF).empty


def test_a_diagnosis_made_after_the_date_looked_at_is_not_known_yet():
    cohort = fbss_patient(Cohort(), 1, diagnosed=date(2025, 6, 1))
    assert "PERSISTENT_PAIN" in builders.codes(cohort.flags(as_of=date(2025, 12, 31)), 1)
    # looked at before the diagnosis: the diagnoses frame is cut by the reader (fbss.diagnoses_of)
    conditions = pd.DataFrame(
        {
            "patient_id": [1],
            "system": [fbss.SNOMED],
            "code": ["202725007"],
            "display": ["x"],
            "onset_date": ["2025-06-01"],
        }
    )
    assert fbss.diagnoses_of(conditions, pd.Timestamp("2025-05-31")).empty
    assert len(fbss.diagnoses_of(conditions, pd.Timestamp("2025-06-01"))) == 1


def test_the_codes_that_mean_post_laminectomy_syndrome():
    assert fbss.is_fbss(fbss.SNOMED, "202725007")
    assert fbss.is_fbss(fbss.ICD10CM, "M96.1")
    assert fbss.is_fbss(fbss.ICD10, "M961")
    assert fbss.is_fbss(fbss.ICD11, "MG30.21", "Chronic pain after spinal surgery")
    # chronic postsurgical pain after another operation is not FBSS; nor is low back pain
    assert not fbss.is_fbss(fbss.ICD11, "MG30.21", "Chronic pain after breast surgery")
    assert not fbss.is_fbss(fbss.SNOMED, "279039007")
    assert not fbss.is_fbss(fbss.ICD10CM, "M54.5")
