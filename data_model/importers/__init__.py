"""Importers: CSV folders (csv_import, written in batches by csv_stage) and FHIR R4 bundles; all or nothing, audited."""

from .csv_import import CsvImportFailed, ImportReport, Problem, import_csv_folder

__all__ = ["CsvImportFailed", "ImportReport", "Problem", "import_csv_folder"]
