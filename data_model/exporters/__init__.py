"""Exporters: FHIR R4 bundles (fhir_export) and the CSV import folder (csv_export); charts and PDF in dashboard/."""

from .csv_export import ExportedCsv, export_csv
from .fhir_export import export_fhir

__all__ = ["ExportedCsv", "export_csv", "export_fhir"]
