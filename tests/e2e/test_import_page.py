"""The Import page in a real browser: files that would be read as one table are refused by name, and an
unreadable FHIR file is reported by name while the others import, with no traceback or server path."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.staff_desk import count_patients, sign_in_as_staff

FHIR = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"


def _upload(page, uploader: str, files: list[tuple[str, bytes]]) -> None:
    box = page.get_by_test_id("stFileUploader").filter(has_text=uploader)
    box.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        [{"name": name, "mimeType": "application/octet-stream", "buffer": content} for name, content in files]
    )
    expect(box.get_by_test_id("stFileChipName")).to_have_text([name for name, _ in files])


def _import_page(page, url: str, tab: str) -> None:
    sign_in_as_staff(page, url)
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Import")).to_be_visible()
    page.get_by_role("tab", name=tab).click()


def _no_traceback(page) -> None:
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "Traceback" not in text and "/tmp" not in text and "Error:" not in text, text[-500:]


def test_patients_csv_and_PATIENTS_csv_are_refused_naming_both_and_nothing_is_written(page_of_size, demo_url, demo_db):
    page = page_of_size(1280, 720)
    _import_page(page, demo_url, "CSV files")
    _upload(
        page,
        "CSV files",
        [
            ("patients.csv", b"mrn,display_name\nE2EUP1,Una Upload\n"),
            ("PATIENTS.csv", b"mrn,display_name\nE2EUP2,Ugo Upload\n"),
        ],
    )
    page.get_by_role("button", name="Import CSV files").click()

    expect(page.get_by_test_id("stAlert").filter(has_text="Nothing was imported: 1 problem(s).")).to_be_visible()
    expect(page.get_by_test_id("stCode")).to_contain_text(
        "PATIENTS.csv: is the same file as patients.csv (case does not count): keep one of the two"
    )
    assert count_patients(demo_db, "E2EUP1") == 0 and count_patients(demo_db, "E2EUP2") == 0
    _no_traceback(page)


def test_a_csv_file_uploaded_twice_is_refused_not_half_imported(page_of_size, demo_url, demo_db):
    page = page_of_size(1280, 720)
    _import_page(page, demo_url, "CSV files")
    _upload(page, "CSV files", [("patients.csv", b"mrn\nE2EUP3\n"), ("patients.csv", b"mrn\nE2EUP4\n")])
    page.get_by_role("button", name="Import CSV files").click()

    expect(page.get_by_test_id("stCode")).to_contain_text("patients.csv: was given 2 times: give each file once")
    assert count_patients(demo_db, "E2EUP3") == 0 and count_patients(demo_db, "E2EUP4") == 0


def test_of_three_fhir_files_the_one_nested_100000_deep_is_reported_by_name_and_the_others_import(
    page_of_size, demo_url, demo_db
):
    page = page_of_size(1600, 1000)
    _import_page(page, demo_url, "FHIR R4 bundles")
    nested = ('{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}").encode()
    _upload(
        page,
        "FHIR bundles",
        [
            ("a_spine.json", (FHIR / "spine_followup.json").read_bytes()),
            ("b_nested.json", nested),
            ("c_trimmed.json", (FHIR / "synthea_trimmed.json").read_bytes()),
        ],
    )
    page.get_by_role("button", name="Import bundles").click()

    expect(page.get_by_test_id("stAlert")).to_contain_text("b_nested.json: is nested too deeply to be read as JSON")
    report = page.get_by_test_id("stCode")
    expect(report).to_contain_text("a_spine.json: imported 1 patient")
    expect(report).to_contain_text("b_nested.json: REJECTED, nothing was written: is nested too deeply")
    expect(report).to_contain_text("c_trimmed.json: imported 1 patient")
    expect(report).to_contain_text("3 bundles: 2 imported, 1 rejected.")
    assert count_patients(demo_db, "SP-001") == 1
    _no_traceback(page)
