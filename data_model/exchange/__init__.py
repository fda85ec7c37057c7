"""Data in and out of the registry: CSV folders and FHIR bundles, de-identification and pseudonyms."""
