"""Audit entries read in clinic words: field labels, dates as dates, times in the site's zone, no JSON or None."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd

from dashboard.audit_words import changes_text, readable, value_text, what_text
from dashboard.formatting import site_zone

OSLO = site_zone("Europe/Oslo")


def _entry(action, table, before=None, after=None, detail=None, mrn=None, name=None, actor="nurse"):
    return {
        "at": datetime(2026, 12, 3, 13, 5, tzinfo=UTC),
        "actor": actor,
        "action": action,
        "table": table,
        "before": None if before is None else json.dumps(before),
        "after": None if after is None else json.dumps(after),
        "detail": None if detail is None else json.dumps(detail),
        "mrn": mrn,
        "patient_name": name,
    }


def test_a_corrected_visit_reads_as_before_and_after_of_what_changed_only():
    before = {"id": 7, "patient_id": 3, "visit_date": "2026-11-02", "back_pain": 6.0, "leg_pain": None, "notes": None}
    after = {**before, "back_pain": 4.5, "leg_pain": 3.0, "notes": "better"}
    table = readable(pd.DataFrame([_entry("update", "visits", before, after, mrn="MRN1", name="Ada Berg")]), OSLO)
    assert table.to_dict("records") == [
        {
            "When": "2026-12-03 14:05 CET",
            "Who": "nurse",
            "What": "Changed a visit",
            "Patient": "MRN1 · Ada Berg",
            "Details": "Back pain: 6 → 4.5 · Leg pain: – → 3 · Notes: – → better",
        }
    ]


def test_an_added_surgery_lists_its_values_with_labels_and_the_procedure_by_name():
    after = {
        "id": 1,
        "patient_id": 3,
        "surgery_date": "2026-10-01",
        "procedure": "fusion",
        "surgeon": None,
        "created_at": "2026-12-03T13:05:00+00:00",
    }
    assert changes_text("insert", "surgeries", None, after, OSLO) == "Surgery date: 2026-10-01 · Procedure: Fusion"
    assert what_text("insert", "surgeries", None, after) == "Added a surgery"


def test_a_void_names_the_moment_in_the_site_zone():
    before = {"voided_at": None, "back_pain": 5.0}
    after = {"voided_at": "2026-12-03T13:05:00", "back_pain": 5.0}
    assert changes_text("void", "visits", before, after, OSLO) == "Voided: – → 2026-12-03 14:05 CET"
    assert what_text("void", "visits", before, after) == "Voided a visit"


def test_an_account_change_names_the_account_and_never_shows_the_password():
    before = {"username": "mia", "role": "staff", "password_hash": "***", "active": True, "failed_logins": 0}
    after = {**before, "role": "clinician", "active": False}
    assert what_text("update", "users", before, after) == "Changed the account mia"
    assert changes_text("update", "users", before, after, OSLO) == "Role: staff → clinician · Active: yes → no"


def test_a_setting_restored_to_its_default_reads_as_old_to_default_whether_kept_or_deleted():
    kept = {"key": "mcid_nrs_points", "value": "2.5"}
    assert changes_text("update", "settings", kept, {**kept, "value": "2.0"}, OSLO) == (
        "Meaningful improvement in pain (MCID): 2.5 → 2 points"
    )
    assert changes_text("delete", "settings", kept, None, OSLO) == (
        "Meaningful improvement in pain (MCID): 2.5 → 2 points (back to its default)"
    )
    assert what_text("insert", "settings", None, kept) == "Changed the setting “Meaningful improvement in pain (MCID)”"


def test_events_read_in_words_with_their_details():
    table = readable(
        pd.DataFrame([_entry("login_failed", None, detail={"username": "mia", "why": "wrong password"}, actor="mia")]),
        OSLO,
    )
    assert table.iloc[0]["What"] == "Sign-in refused"
    assert table.iloc[0]["Details"] == "User name: mia · Why: wrong password"
    assert table.iloc[0]["Patient"] == ""


def test_values_as_a_clinic_writes_them():
    assert value_text("weakness", True, OSLO) == "yes"
    assert value_text("odi", 42.0, OSLO) == "42"
    assert value_text("flags", "PERSISTENT_PAIN;OVERDUE_FOLLOW_UP", OSLO) == "Persistent pain, Overdue follow-up"
    assert value_text("notes", None, OSLO) == "–"
    assert value_text("imported", {"visits": 3, "patients": 1}, OSLO) == "Visits 3, Patients 1"


def test_a_site_secret_is_named_but_its_hidden_value_is_not_shown():
    after = {"id": 1, "name": "pseudonym_key", "value": "***", "created_at": "2026-12-03T13:05:00"}
    assert changes_text("insert", "site_secrets", None, after, OSLO) == "Name: pseudonym_key"


def test_a_patient_s_odi_answer_corrected_by_staff_reads_in_section_words():
    before = {"id": 7, "visit_date": "2026-11-02", "odi": 44.444444, "odi_source": "sections", "odi_walking": 2}
    after = {**before, "odi": 48.888889, "odi_walking": 4}
    assert changes_text("update", "visits", before, after, OSLO) == "ODI: 44.44 → 48.89 · ODI, walking: 2 → 4"
    assert "ODI from: computed from its sections" in changes_text("insert", "visits", None, before, OSLO)


def test_a_logged_contact_attempt_and_a_reminder_letter_read_in_clinic_words():
    after = {
        "id": 4,
        "patient_id": 3,
        "surgery_date": "2026-06-01",
        "weeks": 13,
        "time_point": "3 months",
        "outcome": "no_answer",
        "contacted_on": "2026-12-03",
        "note": None,
        "next_attempt_on": "2026-12-07",
        "recorded_by": "nurse",
    }
    assert what_text("insert", "follow_up_contacts", None, after) == "Added a follow-up contact attempt"
    said = changes_text("insert", "follow_up_contacts", None, after, OSLO)
    assert "Outcome: Called, no answer" in said and "Next attempt on: 2026-12-07" in said
    assert "no_answer" not in said and "_" not in said
    letter = readable(
        pd.DataFrame([_entry("export_letters", None, detail={"follow_up": "3 months", "via": "app"}, mrn="M1")]), OSLO
    )
    assert letter.iloc[0]["What"] == "Made a reminder letter"
    assert letter.iloc[0]["Details"] == "Follow-up: 3 months · Through: app"


def test_the_tablet_handed_to_a_patient_and_taken_back_read_in_words():
    rows = readable(
        pd.DataFrame(
            [
                _entry("self_report_started", None, detail={"mrn": "TAB1"}, mrn="TAB1", name="Tess Tablet"),
                _entry("self_report_handed_back", None, detail={"sent": True}, mrn="TAB1", name="Tess Tablet"),
            ]
        ),
        OSLO,
    )
    assert list(rows["What"]) == [
        "Handed the tablet to the patient for a self-report",
        "Took the tablet back from the patient",
    ]
    assert list(rows["Details"]) == ["MRN: TAB1", "Questionnaire sent: yes"]


def test_a_recorded_diagnosis_reads_with_its_code_system_by_name_and_the_date_diagnosed():
    after = {
        "id": 4,
        "patient_id": 3,
        "code_system": "http://snomed.info/sct",
        "code": "202725007",
        "display": "Post-laminectomy syndrome (failed back surgery syndrome)",
        "onset_date": "2022-03-15",
    }
    assert changes_text("insert", "conditions", None, after, OSLO) == (
        "Code: SNOMED CT 202725007 · Diagnosis: Post-laminectomy syndrome (failed back surgery syndrome) "
        "· Date diagnosed: 2022-03-15"
    )
    icd = {**after, "code_system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M96.1", "onset_date": None}
    assert changes_text("insert", "conditions", None, icd, OSLO).startswith("Code: ICD-10-CM M96.1 · Diagnosis:")
    eleven = {**after, "code_system": "http://id.who.int/icd/release/11/mms", "code": "MG30.21"}
    corrected = changes_text("update", "conditions", after, {**eleven, "onset_date": "2022-03-16"}, OSLO)
    assert corrected == "Code: SNOMED CT 202725007 → ICD-11 MG30.21 · Date diagnosed: 2022-03-15 → 2022-03-16"
