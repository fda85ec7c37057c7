"""Import: FHIR R4 bundles and the clinic's CSV files, uploaded from the browser, with a report."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from dashboard import auth, data, state
from data_model.importers import CsvImportFailed
from data_model.importers.csv_import import import_csv_folder
from data_model.importers.fhir_import import import_fhir
from data_model.permissions import Action

auth.guard(Action.ENTER_DATA)
st.title("Import")
actor = state.current_user().username


def _save_uploads(files, folder: Path) -> list[Path]:  # noqa: ANN001 - Streamlit UploadedFile
    paths = []
    for upload in files:
        path = folder / Path(upload.name).name  # never trust a client's path
        path.write_bytes(upload.getvalue())
        paths.append(path)
    return paths


fhir_tab, csv_tab = st.tabs(["FHIR R4 bundles", "CSV files"])
with fhir_tab:
    st.caption("Bundles from an EHR (JSON): patients, spine surgeries, pain scores, ODI, pain medications and "
               "diagnoses. Each bundle is all or nothing; importing the same bundle again adds nothing.")
    bundles = st.file_uploader("FHIR bundles", type=["json"], accept_multiple_files=True, key="imp_fhir_files")
    if st.button("Import bundles", type="primary", disabled=not bundles, key="imp_fhir_go"):
        with tempfile.TemporaryDirectory() as folder:
            paths = _save_uploads(bundles, Path(folder))
            bar = st.progress(0.0, text="Importing…")
            report = import_fhir(
                data.engine(), paths, actor,
                progress=lambda done, total, path: bar.progress(done / total, text=f"{done}/{total}: {path.name}"),
            )
        # The failure line names the uploaded files, whose names the uploader chose.
        (st.success if report.ok else st.error)(plain(report.failure_line()) if not report.ok else
                                               f"Imported {len(report.bundles)} bundle(s).")
        st.code(report.format(), language=None)

with csv_tab:
    st.caption("Any of patients.csv, surgeries.csv, visits.csv, treatments.csv in the format of the README "
               "(UTF-8, a header row, dates as YYYY-MM-DD). All or nothing: one bad row and nothing is imported.")
    tables = st.file_uploader("CSV files", type=["csv"], accept_multiple_files=True, key="imp_csv_files")
    if st.button("Import CSV files", type="primary", disabled=not tables, key="imp_csv_go"):
        with tempfile.TemporaryDirectory() as folder:
            _save_uploads(tables, Path(folder))
            try:
                with st.spinner("Checking every row…"):
                    report = import_csv_folder(data.engine(), Path(folder), actor)
            except CsvImportFailed as failure:
                st.error(f"Nothing was imported: {len(failure.report.problems)} problem(s).")
                st.code(failure.report.format(), language=None)
            else:
                st.success(f"Imported {report.total_rows} rows.")
                st.code(report.format(), language=None)
