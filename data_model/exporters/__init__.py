"""Exporters: FHIR R4 bundles (fhir_export); CSV, charts and PDF reports to follow."""

from .fhir_export import export_fhir

__all__ = ["export_fhir"]
