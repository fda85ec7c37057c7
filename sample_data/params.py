"""The synthetic cohort's calibration: shares, archetypes and curves, tied to DESIGN.md's seed figures."""

from __future__ import annotations

import numpy as np

from data_model.catalog import PROCEDURE_CODES

# --- Recovery archetypes ---------------------------------------------------------------------------
# full: pain relieved and stays relieved; partial: meaningful but incomplete relief; persistent:
# little or no relief (FBSS); rebound: relief, then pain returns (re-herniation, a block wearing off);
# late: persistent until a treatment works (radiofrequency ablation for 6-18 months, or a spinal cord
# stimulator for good).
ARCHETYPES: tuple[str, ...] = ("full", "partial", "persistent", "rebound", "late")
FULL, PARTIAL, PERSISTENT, REBOUND, LATE = range(5)

PROCEDURES: tuple[str, ...] = PROCEDURE_CODES  # discectomy, laminectomy, fusion, other
DISC, LAM, FUSION, OTHER = range(4)
PROCEDURE_SHARES = np.array([0.40, 0.30, 0.25, 0.05])

# Archetype shares for a first surgery, rows in PROCEDURES order, columns in ARCHETYPES order.
# Discectomy: ~85 % relieved at 3 months; fusion: only 10-40 % adequately pain-free.
ARCHETYPE_SHARES = np.array(
    [
        [0.68, 0.14, 0.07, 0.07, 0.04],  # discectomy
        [0.45, 0.25, 0.15, 0.07, 0.08],  # laminectomy
        [0.20, 0.38, 0.24, 0.06, 0.12],  # fusion
        [0.42, 0.26, 0.16, 0.07, 0.09],  # other
    ]
)
# Success falls with each repeat surgery: the full-recovery share is multiplied by this for the
# first, second and third surgery, and what it loses goes to partial / persistent / late.
REPEAT_FULL_FACTOR = np.array([1.0, 0.5, 0.3])
REPEAT_DEFICIT_TO = np.array([0.0, 0.3, 0.5, 0.0, 0.2])

# --- Revision surgery --------------------------------------------------------------------------------
# Chance that a surgery with this archetype is followed by a revision (before `today` cuts it off),
# and the delay in days (low, high) after the surgery it follows.
REVISION_PROB = np.array([0.05, 0.15, 0.75, 0.80, 0.10])
SECOND_REVISION_FACTOR = 1.0
REVISION_DELAY = np.array([[300, 900], [200, 700], [120, 540], [30, 150], [200, 700]])  # rebound: after it
# Procedure of the revision given the procedure it revises (rows and columns in PROCEDURES order).
REVISION_PROCEDURE = np.array(
    [
        [0.50, 0.05, 0.35, 0.10],
        [0.00, 0.30, 0.60, 0.10],
        [0.00, 0.00, 0.80, 0.20],
        [0.00, 0.00, 0.50, 0.50],
    ]
)
REVISION_NOTES = np.array(
    [
        "Revision: adjacent segment disease",
        "Revision: residual stenosis",
        "Revision: persistent radicular pain",
        "Revision: recurrent disc herniation",
        "Revision: persistent pain",
    ],
    dtype=object,
)

# --- Pain curves -------------------------------------------------------------------------------------
# Pre-operative (baseline) pain, mean (back, leg) per procedure; discectomy is leg-dominant,
# fusion back-dominant.
BASE_MEAN = np.array([[4.8, 7.4], [5.8, 6.6], [7.2, 4.6], [6.2, 5.8]])
BASE_SD = 1.4
BASE_ARCHETYPE_SHIFT = np.array([-0.2, 0.0, 0.5, 0.0, 0.3])
# Share of the relief fraction each site gets (back, leg) per procedure.
SITE_RELIEF = np.array([[0.70, 1.00], [0.80, 0.95], [1.00, 0.85], [0.90, 0.90]])
# Relief fraction of baseline at the plateau, uniform (low, high) per archetype (rebound: before it;
# late: before the effective treatment).
RELIEF = np.array([[0.72, 0.95], [0.32, 0.58], [-0.15, 0.22], [0.60, 0.92], [-0.10, 0.20]])
RELIEF_AFTER_REBOUND = (-0.10, 0.25)
RELIEF_LATE_TREATMENT = (0.45, 0.75)
# Days to reach ~63 % of the relief: discectomy quick, fusion keeps improving to 12 months.
RECOVERY_TAU_DAYS = np.array([10.0, 21.0, 70.0, 28.0])
# Post-operative incision back pain (points), fading with a two-week time constant.
INCISION_BACK_PAIN = np.array([1.0, 1.5, 2.5, 1.5])
REBOUND_DAY = np.array([[45, 400], [90, 600], [90, 600], [90, 600]])  # re-herniation early
REBOUND_RAMP_DAYS = 30.0
LATE_RFA_SHARE = 0.55  # the rest respond to spinal cord stimulation
RFA_RELIEF_DAYS = (180, 540)  # radiofrequency ablation: 6-18 months, then it fades
RFA_FADE_DAYS = 90.0
TREATMENT_RAMP_DAYS = 21.0
VISIT_NOISE_SD = 0.6
INTEGER_ONLY_SHARE = 0.4  # clinics that record whole numbers only

# --- Visits -----------------------------------------------------------------------------------------
BASELINE_MISSING = 0.08
EARLY_PREOP_VISIT = 0.4  # an older pre-operative visit, outside the 90-day baseline lookback
REGISTRY_DAYS = np.array([42.0, 91.0, 365.0, 730.0])
REGISTRY_JITTER_SD = np.array([5.0, 8.0, 18.0, 25.0])
REGISTRY_MISSED = 0.15
# Unscheduled visits: a patient comes back between the registry's time points for a reason, so these
# visits spread over the weeks the reasons do (a fixed first day would pile them into one week and put
# a step into every curve that reads those weeks).
# - Early review: a wound or early pain problem in the first weeks (days uniform in EARLY_REVIEW_DAYS),
#   commoner when recovery goes badly; per archetype (full, partial, persistent, rebound, late).
EARLY_REVIEW_SHARE = np.array([0.04, 0.08, 0.20, 0.08, 0.20])
EARLY_REVIEW_DAYS = (7.0, 27.0)  # before the 6-week visit's window opens (day 28)
# - Pain that persists or returns: the first visit once the patient finds it is not getting better
#   (persistent, late: FLARE_FIRST_AFTER_DAYS plus a gamma-distributed wait (shape 2) averaging
#   FLARE_FIRST_MEAN_DAYS; rebound:
#   soon after the pain returns), then visits at log-normal gaps around FLARE_GAP_DAYS (spread
#   FLARE_GAP_SIGMA, within FLARE_GAP_BOUNDS_DAYS), as long as the pain does (late responders: until 6
#   months after the treatment that works). Partial responders: some, less often, for about a year.
FLARE_FIRST_AFTER_DAYS = np.array([np.inf, 56.0, 14.0, 5.0, 14.0])  # rebound: after the pain returns
FLARE_FIRST_MEAN_DAYS = np.array([np.inf, 90.0, 42.0, 21.0, 42.0])
FLARE_GAP_DAYS = np.array([np.inf, 100.0, 56.0, 49.0, 56.0])
FLARE_GAP_SIGMA = 0.45
FLARE_GAP_BOUNDS_DAYS = (14.0, 200.0)
PARTIAL_EXTRA_SHARE = 0.35
PARTIAL_EXTRA_UNTIL_DAYS = (360.0, 720.0)
LATE_EXTRA_AFTER_TREATMENT_DAYS = 180.0
EXTRA_VISIT_SLOTS = 40
# - Around an injection or a neuromodulation procedure: an assessment before it (that many days before,
#   uniform) and a review of its effect after it.
PROCEDURE_ASSESSMENT = 0.7
PROCEDURE_ASSESSMENT_DAYS_BEFORE = (7.0, 28.0)
PROCEDURE_REVIEW = 0.6
PROCEDURE_REVIEW_DAYS_AFTER = (14.0, 42.0)
# A dense clinic (generate_cohort(visits_per_patient=...), `paintrail seed --dense`): everyone is also
# seen routinely from this many days after surgery, gaps uniform within +-SPREAD of a mean gap chosen
# to reach the wanted visits per patient, and kept within these bounds (days).
ROUTINE_START_DAYS = 14.0
ROUTINE_GAP_BOUNDS_DAYS = (14.0, 91.0)
ROUTINE_GAP_SPREAD = 0.5
DENSE_VISITS_PER_PATIENT = 20.0  # 100,000 patients: about two million visits

# --- Nerve symptoms (numbness, tingling, weakness): logit intercepts, per-point leg pain slope ----------
NERVE_INTERCEPT = np.array([-3.0, -3.3, -4.5])
NERVE_LEG_SLOPE = 0.45
NERVE_ARCHETYPE_SHIFT = np.array([0.0, 0.2, 0.6, 0.8, 0.4])
NEW_NERVE_SHARE = 0.3  # of persistent, rebound and late episodes: a symptom appears later
NERVE_NOT_RECORDED = 0.08
ODI_MISSING = 0.12

# --- Opioids ---------------------------------------------------------------------------------------
OPIOID_USER = np.array([0.15, 0.30, 0.55, 0.40, 0.50])
OPIOID_REPEAT_EXTRA = 0.10
OPIOID_PREOP_SHARE = 0.35
OPIOID_LOG_MEDIAN, OPIOID_LOG_SD = np.log(30.0), 0.6  # ~20 % of users >= 50 MME/day, a few >= 90
OPIOID_LONG_TERM = np.array([0.0, 0.10, 0.55, 0.35, 0.40])
OPIOID_STOP_DAYS = np.array([[5, 60], [14, 200], [60, 400], [14, 120], [30, 180]])
OPIOID_ESCALATE_SHARE = 0.3  # of long-term users: dose up by half after 6 months

# --- People -----------------------------------------------------------------------------------------
SEXES = np.array(["female", "male", "other", "unknown"], dtype=object)
SEX_SHARES = np.array([0.49, 0.49, 0.005, 0.015])
AGE_MEAN = np.array([42.0, 66.0, 58.0, 55.0])
AGE_SD = np.array([11.0, 9.0, 11.0, 13.0])
FEMALE_NAMES = (
    "Ada",
    "Bea",
    "Cleo",
    "Dora",
    "Edie",
    "Fern",
    "Gwen",
    "Hattie",
    "Iris",
    "June",
    "Kit",
    "Lena",
    "Mabel",
    "Nell",
    "Opal",
    "Pearl",
    "Rosa",
    "Sadie",
    "Tess",
    "Vera",
    "Wren",
    "Zelda",
)
MALE_NAMES = (
    "Abe",
    "Bram",
    "Cyril",
    "Dex",
    "Ezra",
    "Finn",
    "Gus",
    "Hal",
    "Ike",
    "Jasper",
    "Kip",
    "Lyle",
    "Milo",
    "Ned",
    "Otis",
    "Percy",
    "Rufus",
    "Silas",
    "Tobin",
    "Vance",
    "Wendell",
    "Zeke",
)
LAST_NAMES = (
    "Ambersley",
    "Bramblewood",
    "Copperfield",
    "Dunmore",
    "Elderwick",
    "Fernsby",
    "Gallowmere",
    "Hollyhock",
    "Inkwell",
    "Juniperly",
    "Kettleby",
    "Larkspur",
    "Marblethorpe",
    "Nettlefield",
    "Oakhollow",
    "Pebbleton",
    "Quillby",
    "Rookwood",
    "Saltmarsh",
    "Thistledown",
    "Umberfold",
    "Vellacott",
    "Willowmere",
    "Yarrowby",
)
SURGEONS = np.array(
    [
        "Dr. Imogen Ashcombe",
        "Dr. Rafael Quintero-Hale",
        "Dr. Priya Vantongeren",
        "Dr. Tobias Wrenfield",
        "Dr. Miriam Okonkwo-Bright",
        "Dr. Henrik Solberg-Pace",
        "Dr. Lucia Marchetti-Dunn",
        "Dr. Samuel Achterberg",
    ],
    dtype=object,
)
# Spinal levels per procedure, with shares.
LEVELS = (
    (("L4-L5", "L5-S1", "L3-L4"), (0.47, 0.45, 0.08)),
    (("L4-L5", "L3-L4", "L3-L5", "L2-L5"), (0.40, 0.20, 0.28, 0.12)),
    (("L4-L5", "L5-S1", "L4-S1", "L3-S1"), (0.42, 0.23, 0.25, 0.10)),
    (("L4-L5", "L5-S1", "T12-L1"), (0.50, 0.35, 0.15)),
)
