"""FHIR code maps for import and export: code systems, spine surgeries, pain instruments, opioids, diagnoses.

Where each code comes from (no terminology server was reachable when this was written; each code below is
backed by the source named beside it, and codes with a single weak source were left out on purpose and
are recognised by their display words instead):

- LOINC pain instruments 38208-5, 38214-3, 38221-8, 72514-3: the VSAC value set "Standardized Pain
  Assessment Tool" (OID 2.16.840.1.113883.3.526.3.1028, eCQM update 2025-05-08), as shipped in
  canvas-medical/canvas-plugins canvas_sdk/value_set. 72514-3 is also what the Synthea sample bundles use.
- LOINC 91147-9 "Mean score [PEG]": cqframework/cds4cpm pain-management CQL terminology.
- LOINC 97909-6 "Oswestry disability index score ODI": SmartHealthNetwork shn-sdk fhircodes.go (checked
  there against tx.fhir.org $lookup) and the paciowg sample-data ODI Questionnaire.
- SNOMED CT 387731002 Laminectomy, 178625001 Primary lumbar microdiscectomy: shn-sdk fhircodes.go
  (tx.fhir.org $lookup); 284088004 Gill decompression laminectomy: a SNOMED CT concept page
  (healthassure.in); 55705006 Spinal fusion: several independent procedure pick-lists.
- SNOMED CT 43075005, 45595009, 609588000 and the non-surgical procedure codes: the Synthea sample
  bundles themselves (smart-on-fhir/generated-sample-data R4/SYNTHEA); 80146002 Appendectomy and
  387713003 Surgical procedure (procedure category): FHIR R4 example value sets.
- SNOMED CT body sites 77568009 back, 37822005 lower back, 61685007 lower limb, 30021000 lower leg:
  DICOM CID 4031 anatomic region tables (dcm4che, dicom3tools) and FHIR profiles using them.
- SNOMED CT diagnoses 279039007, 278860009, 161891005, 82423001, 23056005, 279040009: FHIR examples and
  Synthea output, 161891005/279039007/23056005 checked by $lookup in a published test suite.
  ICD-10-CM M96.1 (postlaminectomy syndrome = FBSS), M54.x, G89.x: CMS ICD-10-CM.
  FBSS / post-laminectomy syndrome: SNOMED CT 202725007 as the clinic's own EHR records carry it (issue 14;
  no terminology server confirmed it), ICD-10-CM M96.1, ICD-11 MG30.21 (chronic postsurgical pain) when it names the spine, or its
  display words. data_model/fbss.py decides which codes mean it and cites each.
- Opioid conversion factors: data_model.catalog.MME_FACTORS_CDC_2022 (CDC 2022 guideline).
"""

from __future__ import annotations

import re

from ... import fbss
from ...catalog import MME_FACTORS_CDC_2022

# --- Code systems --------------------------------------------------------------------------------

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD11 = fbss.ICD11
UCUM = "http://unitsofmeasure.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"  # identifier types (MR = medical record number)
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SYNTHEA_IDENTIFIER = "https://github.com/synthetichealth/synthea"

# PainTrail's own code systems: what has no standard code (our catalogue, nerve symptoms, MME/day).
_BASE = "https://paintrail.example/fhir"
PT_MEASURE = f"{_BASE}/CodeSystem/measure"  # odi (fallback), numbness, tingling, weakness, mme_per_day
PT_PROCEDURE = f"{_BASE}/CodeSystem/procedure-type"  # discectomy, laminectomy, fusion, other
PT_TREATMENT = f"{_BASE}/CodeSystem/treatment"  # data_model.catalog.TREATMENTS codes
PT_MRN = f"{_BASE}/sid/mrn"
PT_PSEUDONYM = f"{_BASE}/sid/pseudonym"
PT_MME_EXTENSION = f"{_BASE}/StructureDefinition/mme-per-day"
PT_QUESTIONNAIRE = f"{_BASE}/Questionnaire"  # the ODI and the self-report (questionnaire.py)

# --- Observations: pain instruments, function, symptoms ----------------------------------------------

# LOINC code -> (instrument in catalog.INSTRUMENT_SCALE_TO_NRS, raw scale maximum)
PAIN_INSTRUMENTS: dict[str, tuple[str, float]] = {
    "72514-3": ("NRS", 10.0),  # Pain severity - 0-10 verbal numeric rating [Score] - Reported
    "38208-5": ("NRS", 10.0),  # Pain severity - Reported (a 0-10 rating in practice)
    "38214-3": ("VAS", 100.0),  # Pain severity [Score] Visual analog score (0-100 mm)
    "38221-8": ("FACES", 10.0),  # Pain severity Wong-Baker FACES pain rating scale (0-10)
    "91147-9": ("PEG", 10.0),  # Mean score [PEG] (pain, enjoyment, general activity; 0-10)
}
# The LOINC code each instrument is exported under.
INSTRUMENT_LOINC: dict[str, str] = {"NRS": "72514-3", "VAS": "38214-3", "FACES": "38221-8", "PEG": "91147-9"}
LOINC_DISPLAY: dict[str, str] = {
    "72514-3": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
    "38208-5": "Pain severity - Reported",
    "38214-3": "Pain severity [Score] Visual analog score",
    "38221-8": "Pain severity Wong-Baker FACES pain rating scale",
    "91147-9": "Mean score [PEG]",
    "97909-6": "Oswestry disability index score ODI",
}
ODI_LOINC = "97909-6"
LOCAL_MEASURES: dict[str, str] = {
    "odi": "Oswestry Disability Index (0-100)",
    "numbness": "Numbness in the extremities",
    "tingling": "Tingling in the extremities",
    "weakness": "Weakness in the extremities",
    "mme_per_day": "Opioid dose, morphine milligram equivalents per day",
}

# Pain body sites (SNOMED CT) -> the visit column; display words catch sites coded otherwise.
BACK_SITES: dict[str, str] = {
    "77568009": "Back structure, excluding neck",
    "37822005": "Structure of back of abdominopelvic segment of trunk (lower back)",
}
LEG_SITES: dict[str, str] = {"61685007": "Lower limb structure", "30021000": "Lower leg structure"}
BACK_SITE_WORDS = re.compile(r"\b(back|lumbar|lumbosacral|low(er)? back|spine|spinal|sacral)\b", re.I)
LEG_SITE_WORDS = re.compile(r"\b(leg|legs|lower limb|lower extremity|thigh|calf|sciatic)\b", re.I)
EXPORT_SITE: dict[str, tuple[str, str]] = {
    "back_pain": ("77568009", BACK_SITES["77568009"]),
    "leg_pain": ("61685007", LEG_SITES["61685007"]),
}

# --- Procedures ----------------------------------------------------------------------------------

SURGICAL_CATEGORY = "387713003"  # SNOMED CT: Surgical procedure (procedure-category value set)

# SNOMED CT -> (procedure type, display)
SPINE_SURGERY_SNOMED: dict[str, tuple[str, str]] = {
    "387731002": ("laminectomy", "Laminectomy"),
    "284088004": ("laminectomy", "Gill decompression laminectomy"),
    "178625001": ("discectomy", "Primary lumbar microdiscectomy"),
    "55705006": ("fusion", "Spinal fusion"),
}
# The SNOMED CT coding exported beside our own procedure-type code (none for discectomy: the only
# confirmed code is the narrower "primary lumbar microdiscectomy").
EXPORT_SURGERY_SNOMED: dict[str, tuple[str, str]] = {
    "laminectomy": ("387731002", "Laminectomy"),
    "fusion": ("55705006", "Spinal fusion"),
}
# Display words, tried in this order: a fusion with a decompression is a fusion (the longer window);
# a laminectomy with a discectomy is a decompression.
SPINE_SURGERY_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # a fusion or arthrodesis named together with a spinal word (an ankle fusion is not a spine fusion)
    (
        "fusion",
        re.compile(
            r"^(?=.*\b(fusion|arthrodesis)\b)(?=.*(spin|lumbar|cervical|thoracic|sacr|vertebra|"
            r"dis[ck]|interbody)).*|\b(plif|tlif|alif|xlif|olif|acdf)\b",
            re.I | re.S,
        ),
    ),
    (
        "laminectomy",
        re.compile(
            r"laminectomy|laminotomy|foraminotomy|laminoplasty|"
            r"(spinal|lumbar|cervical) (canal )?decompression|decompression of (the )?"
            r"(spinal|lumbar|cauda)",
            re.I,
        ),
    ),
    ("discectomy", re.compile(r"dis[ck]ectomy|excision of intervertebral dis[ck]", re.I)),
)
# Surgeries seen in Synthea whose display has no surgical word.
KNOWN_SURGICAL_SNOMED: dict[str, str] = {
    "43075005": "Partial resection of colon",
    "45595009": "Laparoscopic cholecystectomy",
    "609588000": "Total knee replacement",
    "80146002": "Appendectomy",
}
# Procedures seen in Synthea that a surgical word would otherwise catch, or that are plainly not surgery.
KNOWN_NON_SURGICAL_SNOMED: dict[str, str] = {
    "428191000124101": "Documentation of current medications (medication reconciliation)",
    "171207006": "Depression screening",
    "46706006": "Replacement of contraceptive intrauterine device",
    "274031008": "Rectal polypectomy (endoscopic)",
    "73761001": "Colonoscopy",
}
SURGICAL_WORDS = re.compile(
    r"ectomy\b|otomy\b|ostomy\b|plasty\b|arthroplasty|\b(knee|hip|joint|shoulder) replacement|replacement of (the )?"
    r"(knee|hip|joint|shoulder)|\brepair\b|\bresection\b|\bfusion\b|amputation|transplant|bypass|"
    r"\bfixation\b|\bexcision\b|\bsurgery\b|\bsurgical\b|\boperation\b",
    re.I,
)
NON_SURGICAL_WORDS = re.compile(
    r"screening|documentation|reconciliation|x-ray|radiograph|ultraso|\bscan\b|\btest\b|culture|counsel|"
    r"\bexam|assessment|education|therapy|injection|vaccin|immuni[sz]ation|echocardiogra|electrocardiogra|"
    r"endoscop|colonoscop|polypectomy|intubation|admission|measurement|dental|teeth|contracept|"
    r"intrauterine|immobili[sz]ation|pregnancy|phlebotomy|biopsy|stimulat",
    re.I,
)
# Non-surgical procedures that are catalogue treatments (first match wins).
TREATMENT_PROCEDURE_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("scs_trial", re.compile(r"spinal cord stimulat\w* trial|trial of spinal cord stimulat", re.I)),
    ("scs_implant", re.compile(r"spinal cord stimulat|dorsal column stimulat", re.I)),
    ("peripheral_nerve_stimulation", re.compile(r"peripheral nerve stimulat", re.I)),
    ("epidural_steroid_injection", re.compile(r"epidural.*(injection|steroid)|(injection|steroid).*epidural", re.I)),
    ("medial_branch_block", re.compile(r"medial branch block", re.I)),
    ("radiofrequency_ablation", re.compile(r"radiofrequency (ablation|denervation|neurotomy|rhizotomy)", re.I)),
    ("sacroiliac_joint_injection", re.compile(r"sacroiliac joint injection|injection of sacroiliac", re.I)),
    ("adhesiolysis", re.compile(r"adhesiolysis", re.I)),
    ("physical_therapy", re.compile(r"physical therapy|physiotherapy", re.I)),
    ("cbt", re.compile(r"cognitive behavio", re.I)),
    ("acupuncture", re.compile(r"acupuncture", re.I)),
    ("massage", re.compile(r"\bmassage", re.I)),
)

# --- Medications ---------------------------------------------------------------------------------

# Opioid ingredients by the words of an RxNorm display (word boundaries: "dihydrocodeine" is not codeine).
OPIOIDS_WITH_FACTOR: tuple[str, ...] = (
    "codeine",
    "hydrocodone",
    "hydromorphone",
    "methadone",
    "morphine",
    "oxycodone",
    "oxymorphone",
    "tapentadol",
    "tramadol",
    "fentanyl",
)
# Opioids our CDC 2022 table has no factor for: imported, MME/day left unknown and said so.
OPIOIDS_WITHOUT_FACTOR: tuple[str, ...] = (
    "meperidine",
    "pethidine",
    "buprenorphine",
    "butorphanol",
    "levorphanol",
    "nalbuphine",
    "pentazocine",
    "dihydrocodeine",
    "opium",
)
# Given only by anaesthetists: not an opioid prescription to follow.
ANAESTHETIC_OPIOIDS: tuple[str, ...] = ("remifentanil", "sufentanil", "alfentanil")
OPIOID_WORDS = re.compile(
    r"\b(" + "|".join(OPIOIDS_WITH_FACTOR + OPIOIDS_WITHOUT_FACTOR + ANAESTHETIC_OPIOIDS) + r")\b", re.I
)
PARENTERAL_WORDS = re.compile(
    r"\b(injection|injectable|intravenous|infusion|intramuscular|cartridge|prefilled syringe)\b", re.I
)
ORAL_WORDS = re.compile(r"\b(oral|tablet|capsule|chewable|elixir|syrup)\b", re.I)
TRANSDERMAL_WORDS = re.compile(r"\btransdermal\b|\bpatch\b", re.I)


def mme_factor(ingredient: str) -> float | None:
    """The CDC 2022 factor for an oral opioid ingredient (fentanyl: transdermal only, per mcg/h)."""
    if ingredient == "fentanyl":
        return MME_FACTORS_CDC_2022["fentanyl_transdermal"]
    return MME_FACTORS_CDC_2022.get(ingredient)


# Other pain medications -> catalogue code. Aspirin is left out on purpose (mostly a low-dose antiplatelet).
MEDICATION_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "nsaid",
        re.compile(
            r"\b(ibuprofen|naproxen|diclofenac|meloxicam|celecoxib|ketorolac|etodolac|nabumetone|"
            r"indomethacin|ketoprofen|piroxicam)\b",
            re.I,
        ),
    ),
    ("neuropathic_agent", re.compile(r"\b(gabapentin|pregabalin)\b", re.I)),
    (
        "muscle_relaxant",
        re.compile(
            r"\b(cyclobenzaprine|methocarbamol|tizanidine|baclofen|carisoprodol|"
            r"metaxalone|orphenadrine)\b",
            re.I,
        ),
    ),
)

# --- Conditions ----------------------------------------------------------------------------------

SNOMED_CONDITIONS: dict[str, str] = {
    fbss.SNOMED_CODE: fbss.DISPLAY,
    "279039007": "Low back pain",
    "278860009": "Chronic low back pain",
    "161891005": "Backache",
    "82423001": "Chronic pain",
    "23056005": "Sciatica",
    "279040009": "Lumbago with sciatica",
}
# ICD-10(-CM) code prefixes (dots ignored).
ICD10_CONDITION_PREFIXES: dict[str, str] = {
    "M961": "Postlaminectomy syndrome (failed back surgery syndrome)",
    "M545": "Low back pain",
    "M543": "Sciatica",
    "M544": "Lumbago with sciatica",
    "M541": "Radiculopathy",
    "G892": "Chronic pain, not elsewhere classified",
    "G894": "Chronic pain syndrome",
}
CONDITION_WORDS = re.compile(
    r"failed back|post-?laminectomy|persistent spinal pain|chronic pain after spinal surgery|back ?pain|"
    r"backache|lumbago|sciatica|radiculopathy|chronic pain",
    re.I,
)
