"""Opioid prescriptions from FHIR: the ingredient, strength and daily dose in MME (CDC 2022), or why not.

MME/day = mg per dose x doses per day x the CDC 2022 factor of the ingredient (transdermal fentanyl:
mcg/h x 2.4). The strength comes from the RxNorm display ("Acetaminophen 325 MG / oxyCODONE
Hydrochloride 5 MG Oral Tablet"), the dose and frequency from dosageInstruction[0]
(doseAndRate.doseQuantity x timing.repeat frequency/period). Whatever is missing leaves MME/day unknown,
with the reason in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...catalog import MME_TABLE_NAME
from .codes import ANAESTHETIC_OPIOIDS, OPIOID_WORDS, ORAL_WORDS, PARENTERAL_WORDS, TRANSDERMAL_WORDS, mme_factor

_STRENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*(mg|mcg|ug)\b(?:\s*/\s*(ml|hr|h|actuat))?", re.I)
_PACKAGE_VOLUME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*ml\b", re.I)
_PER_DAY = {"s": 86400.0, "min": 1440.0, "h": 24.0, "d": 1.0, "wk": 1 / 7, "mo": 1 / 30, "a": 1 / 365}
_TIMING_CODES = {
    "QD": 1.0,
    "AM": 1.0,
    "PM": 1.0,
    "BID": 2.0,
    "TID": 3.0,
    "QID": 4.0,
    "QOD": 0.5,
    "Q4H": 6.0,
    "Q6H": 4.0,
    "Q8H": 3.0,
    "Q12H": 2.0,
}
_MG_UNITS = {"mg": 1.0, "milligram": 1.0, "mcg": 0.001, "ug": 0.001, "microgram": 0.001, "g": 1000.0}


@dataclass(frozen=True)
class OpioidDose:
    ingredient: str
    mme_per_day: float | None
    mme_source: str | None
    why_unknown: str | None  # set when mme_per_day is None


def opioid_ingredient(display: str) -> str | None:
    match = OPIOID_WORDS.search(display)
    return match.group(1).lower() if match else None


def is_anaesthetic_or_parenteral(display: str, ingredient: str) -> str | None:
    """Why an opioid is not a prescription to follow (given in theatre or by injection), else None."""
    if ingredient in ANAESTHETIC_OPIOIDS:
        return "an anaesthetic opioid (given in theatre, not a prescription to follow)"
    if PARENTERAL_WORDS.search(display):
        return "an opioid for injection (given in hospital, not a prescription to follow)"
    return None


def _strength(display: str, ingredient: str) -> tuple[float, str | None] | None:
    """(amount in mg, per-unit: None, 'ml' or 'hr') of the ingredient's own component."""
    lowered = display.lower()
    for component in lowered.split(" / "):
        at = component.find(ingredient)
        if at < 0:
            continue
        match = _STRENGTH.search(component, at)
        if match is None:
            return None
        amount = float(match.group(1)) * (0.001 if match.group(2).lower() in ("mcg", "ug") else 1.0)
        per = match.group(3).lower() if match.group(3) else None
        return amount, ("hr" if per in ("hr", "h") else per)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _doses_per_day(dosage: dict[str, Any]) -> float | None:
    timing = dosage.get("timing") or {}
    repeat = timing.get("repeat") or {}
    frequency = _number(repeat.get("frequencyMax")) or _number(repeat.get("frequency"))
    period = _number(repeat.get("period"))
    unit = repeat.get("periodUnit")
    if period and unit in _PER_DAY:
        return (frequency or 1.0) * _PER_DAY[unit] / period
    for coding in (timing.get("code") or {}).get("coding") or []:
        if str(coding.get("code", "")).upper() in _TIMING_CODES:
            return _TIMING_CODES[str(coding["code"]).upper()]
    return None


def _dose(dosage: dict[str, Any]) -> tuple[float, str | None] | None:
    """(value, unit) of one dose: doseQuantity, or the top of a doseRange."""
    for rate in dosage.get("doseAndRate") or []:
        quantity = rate.get("doseQuantity") or (rate.get("doseRange") or {}).get("high")
        if quantity and _number(quantity.get("value")) is not None:
            unit = quantity.get("code") or quantity.get("unit")
            return float(quantity["value"]), (str(unit).strip().lower() if unit else None)
    return None


def _mg_per_dose(display: str, strength: tuple[float, str | None], dose: tuple[float, str | None]) -> float | str:
    amount, per = strength
    value, unit = dose
    if unit in _MG_UNITS:
        return value * _MG_UNITS[unit]
    if per == "ml":
        if unit in ("ml", "milliliter"):
            return value * amount
        package = _PACKAGE_VOLUME.match(display)
        if package:  # "10 ML Oxycodone 1 MG/ML ..." with a dose of 1 = one 10 mL unit
            return value * float(package.group(1)) * amount
        return "the dose volume of a liquid is not given"
    return value * amount  # tablets, capsules: a count of units


def opioid_dose(display: str, ingredient: str, dosages: list[dict[str, Any]]) -> OpioidDose:
    """MME/day for one prescription, or None with the reason."""

    def unknown(why: str) -> OpioidDose:
        return OpioidDose(ingredient, None, None, why)

    factor = mme_factor(ingredient)
    if factor is None:
        return unknown(f"{ingredient} has no conversion factor in the {MME_TABLE_NAME} table")
    strength = _strength(display, ingredient)
    if strength is None:
        return unknown("the strength is not in the medication name")
    if ingredient == "fentanyl":
        if not TRANSDERMAL_WORDS.search(display) or strength[1] != "hr":
            return unknown(f"the {MME_TABLE_NAME} fentanyl factor is for transdermal patches only")
        return OpioidDose(ingredient, round(strength[0] * 1000 * factor, 2), MME_TABLE_NAME, None)
    if not ORAL_WORDS.search(display):
        return unknown(f"the {MME_TABLE_NAME} factors are for oral opioids")
    if not dosages:
        return unknown("no dosage instruction")
    if len(dosages) > 1:
        return unknown("several dosage instructions")
    dose = _dose(dosages[0])
    if dose is None:
        return unknown("no dose quantity")
    per_day = _doses_per_day(dosages[0])
    if per_day is None:
        return unknown("no dosing frequency")
    mg = _mg_per_dose(display, strength, dose)
    if isinstance(mg, str):
        return unknown(mg)
    return OpioidDose(ingredient, round(mg * per_day * factor, 2), MME_TABLE_NAME, None)
