"""The clinical vocabulary: procedures, treatments, instruments, flag codes, roles (see DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass

# --- Procedures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Procedure:
    code: str
    label: str
    default_window_weeks: int
    why: str


PROCEDURES: dict[str, Procedure] = {
    p.code: p
    for p in (
        Procedure("discectomy", "Discectomy", 6, "leg pain relieved in 91 % by 6 weeks"),
        Procedure(
            "laminectomy",
            "Laminectomy / decompression",
            12,
            "no improvement by about 3 months means failure",
        ),
        Procedure("fusion", "Fusion", 26, "fusion keeps improving to 12 months"),
        Procedure("other", "Other surgery", 12, "ICD-11 chronic postsurgical pain: 3 months"),
    )
}
PROCEDURE_CODES: tuple[str, ...] = tuple(PROCEDURES)
# A patient with post-laminectomy syndrome and no recorded surgery (data_model/fbss.py): the status
# frame's procedure value, in the clinic's words; never one of PROCEDURES, so no surgery form offers it.
UNKNOWN_SURGERY = "unknown (post-laminectomy syndrome)"
UNKNOWN_SURGERY_LABEL = "Unknown (post-laminectomy syndrome)"

SEXES: tuple[str, ...] = ("female", "male", "other", "unknown")

# --- Treatments (stepped order: top to bottom) -------------------------------------------------


@dataclass(frozen=True)
class Treatment:
    code: str
    label: str
    group: str
    step: int  # the usual stepped order of care; lower is tried first
    # a procedure done on one day (an injection, a block, an ablation): drawn as a marker at its date,
    # never as a span; courses (medication, therapy, a stimulator) run from start to end
    single_day: bool = False


TREATMENT_GROUPS: tuple[str, ...] = (
    "medication",
    "rehabilitation",
    "behavioural",
    "interventional",
    "neuromodulation",
    "complementary",
)

_GROUP_STEP = {g: i + 1 for i, g in enumerate(TREATMENT_GROUPS)}


def _t(code: str, label: str, group: str, single_day: bool = False) -> Treatment:
    return Treatment(code, label, group, _GROUP_STEP[group], single_day)


TREATMENTS: dict[str, Treatment] = {
    t.code: t
    for t in (
        _t("nsaid", "NSAIDs", "medication"),
        _t("neuropathic_agent", "Neuropathic agent (gabapentin, pregabalin)", "medication"),
        _t("muscle_relaxant", "Muscle relaxant", "medication"),
        _t("antidepressant", "Antidepressant", "medication"),
        _t("opioid", "Opioid", "medication"),
        _t("physical_therapy", "Physical therapy", "rehabilitation"),
        _t("cbt", "Cognitive behavioural therapy / pain psychology", "behavioural"),
        _t("epidural_steroid_injection", "Epidural steroid injection", "interventional", single_day=True),
        _t("medial_branch_block", "Medial branch block", "interventional", single_day=True),
        _t("radiofrequency_ablation", "Radiofrequency ablation", "interventional", single_day=True),
        _t("sacroiliac_joint_injection", "Sacroiliac joint injection", "interventional", single_day=True),
        _t("adhesiolysis", "Adhesiolysis (Racz)", "interventional", single_day=True),
        _t("scs_trial", "Spinal cord stimulation trial", "neuromodulation"),
        _t("scs_implant", "Spinal cord stimulator implant", "neuromodulation"),
        _t("peripheral_nerve_stimulation", "Peripheral nerve stimulation", "neuromodulation"),
        _t("acupuncture", "Acupuncture", "complementary"),
        _t("massage", "Massage", "complementary"),
        _t("other_complementary", "Other complementary therapy", "complementary"),
    )
}
TREATMENT_CODES: tuple[str, ...] = tuple(TREATMENTS)

# --- Pain instruments ----------------------------------------------------------------------------

# How a value on each instrument maps onto the 0-10 NRS the rules use. Values are stored on the
# NRS scale with the instrument recorded, so an imported VAS 0-100 keeps its origin.
INSTRUMENT_SCALE_TO_NRS: dict[str, float] = {
    "NRS": 1.0,  # 0-10 numeric rating scale (LOINC 72514-3 and registry back/leg items)
    "VAS": 0.1,  # 0-100 mm visual analogue scale
    "FACES": 1.0,  # Wong-Baker FACES, scored 0-10
    "PEG": 1.0,  # PEG-3 mean score, 0-10
}
INSTRUMENTS: tuple[str, ...] = tuple(INSTRUMENT_SCALE_TO_NRS)

VISIT_SOURCES: tuple[str, ...] = ("form", "csv", "fhir", "seed")

# --- Flags ---------------------------------------------------------------------------------------

SEVERITIES: tuple[str, ...] = ("low", "medium", "high")
SEVERITY_RANK: dict[str, int] = {s: i + 1 for i, s in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class FlagCode:
    code: str
    label: str
    meaning: str


FLAG_CODES: dict[str, FlagCode] = {
    f.code: f
    for f in (
        FlagCode(
            "PERSISTENT_PAIN",
            "Persistent pain",
            "past the window of the most recent surgery, current pain at or above the threshold",
        ),
        FlagCode(
            "NO_MEANINGFUL_IMPROVEMENT",
            "No meaningful improvement",
            "past the window, improvement from baseline short of the MCID",
        ),
        FlagCode(
            "OFF_TRACK",
            "Off track",
            "inside the window, pain well above the cohort's usual curve (early warning)",
        ),
        FlagCode("WORSENING", "Worsening", "pain rising over recent post-op visits, or above baseline"),
        FlagCode("REBOUND", "Rebound", "back or leg pain came back after relief that lasted"),
        FlagCode(
            "NEW_NERVE_SYMPTOMS",
            "New nerve symptoms",
            "numbness, tingling or weakness present after being absent at an earlier post-op visit",
        ),
        FlagCode(
            "HIGH_OPIOID_DOSE",
            "High opioid dose",
            "MME/day at or above the threshold, or opioids continued past 3 months",
        ),
        FlagCode(
            "OVERDUE_FOLLOW_UP",
            "Overdue follow-up",
            "a scheduled time point passed without a visit",
        ),
    )
}

# --- Opioids: CDC 2022 MME conversion factors ------------------------------------------------------

MME_TABLE_NAME = "CDC 2022"
MME_FACTORS_CDC_2022: dict[str, float] = {
    "codeine": 0.15,
    "hydrocodone": 1.0,
    "hydromorphone": 5.0,
    "methadone": 4.7,
    "morphine": 1.0,
    "oxycodone": 1.5,
    "oxymorphone": 3.0,
    "tapentadol": 0.4,
    "tramadol": 0.2,
    "fentanyl_transdermal": 2.4,  # per mcg/h
}

# --- Accounts ------------------------------------------------------------------------------------

ROLES: tuple[str, ...] = ("clinician", "staff", "admin")
