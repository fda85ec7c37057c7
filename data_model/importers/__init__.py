"""Importers: CSV folders (csv_import) and, later, FHIR R4 bundles; all or nothing, audited."""

from .csv_import import CsvImportFailed, ImportReport, Problem, import_csv_folder

__all__ = ["CsvImportFailed", "ImportReport", "Problem", "import_csv_folder"]
