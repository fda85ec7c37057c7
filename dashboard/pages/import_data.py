"""Import: FHIR R4 bundles and the clinic's CSV files, uploaded from the browser, with a report."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from dashboard import data, state
from dashboard.formatting import plain
from dashboard.signin import auth
from data_model.access.permissions import Action
from data_model.exchange.csv_folder.files import same_file_clashes
from data_model.exchange.csv_folder.folder_import import CsvImportFailed, import_csv_folder
from data_model.exchange.fhir.bundle_import import import_fhir

auth.guard(Action.ENTER_DATA)
st.title("Import")
actor = state.signed_in_user().username


def _save_each(files, folder: Path) -> dict[Path, str]:
    """Each upload in a folder of its own (two files of one name both kept): path -> the name uploaded."""
    names = {}
    for number, upload in enumerate(files):
        name = Path(upload.name).name  # never trust a client's path
        path = folder / str(number) / name
        path.parent.mkdir()
        path.write_bytes(upload.getvalue())
        names[path] = name
    return names


fhir_tab, csv_tab = st.tabs(["FHIR R4 bundles", "CSV files"], key="imp_tab", on_change="rerun")
if fhir_tab.open:
    with fhir_tab:
        st.caption(
            "Bundles from an EHR (JSON): patients, spine surgeries, pain scores, ODI, pain medications and "
            "diagnoses. Each bundle is all or nothing; importing the same bundle again adds nothing. A file "
            "that cannot be read is reported by name and the others still import."
        )
        bundles = st.file_uploader("FHIR bundles", type=["json"], accept_multiple_files=True, key="imp_fhir_files")
        if st.button("Import bundles", type="primary", disabled=not bundles, key="imp_fhir_go"):
            with tempfile.TemporaryDirectory() as folder:
                names = _save_each(bundles, Path(folder))
                bar = st.progress(0.0, text="Importing…")
                report = import_fhir(
                    data.engine(),
                    list(names),
                    actor,
                    label=names.__getitem__,
                    progress=lambda done, total, path: bar.progress(
                        done / total, text=f"{done}/{total}: {names[path]}"
                    ),
                )
            if report.ok:
                st.success(f"Imported {len(report.bundles)} bundle(s).")
            else:
                st.error(plain(report.failure_line()))  # names the uploaded files, whose names the uploader chose
            st.code(report.format(), language=None)

if csv_tab.open:
    with csv_tab:
        st.caption(
            "Any of patients.csv, surgeries.csv, visits.csv, treatments.csv in the format of the README "
            "(UTF-8, a header row, dates as YYYY-MM-DD). All or nothing: one bad row and nothing is imported."
        )
        tables = st.file_uploader("CSV files", type=["csv"], accept_multiple_files=True, key="imp_csv_files")
        if st.button("Import CSV files", type="primary", disabled=not tables, key="imp_csv_go"):
            # Two uploads read as one file (visits.csv twice, patients.csv and PATIENTS.csv): refused by name,
            # before anything is read, since one of them would otherwise be dropped.
            clashes = same_file_clashes(Path(t.name).name for t in tables)
            if clashes:
                st.error(f"Nothing was imported: {len(clashes)} problem(s).")
                st.code("\n".join(str(p) for p in clashes), language=None)
            else:
                with tempfile.TemporaryDirectory() as folder:
                    for upload in tables:
                        (Path(folder) / Path(upload.name).name).write_bytes(upload.getvalue())
                    try:
                        with st.spinner("Checking every row…"):
                            csv_report = import_csv_folder(data.engine(), Path(folder), actor)
                    except CsvImportFailed as failure:
                        problems = failure.report.problems
                        st.error(f"Nothing was imported: {len(problems)} problem(s).")
                        # The problems alone: the report's heading names the server's temporary folder.
                        st.code("\n".join(str(p) for p in problems), language=None)
                    else:
                        st.success(f"Imported {csv_report.total_rows} rows.")
                        st.code(
                            "\n".join(f"{name}: {count} rows" for name, count in csv_report.counts.items()),
                            language=None,
                        )
