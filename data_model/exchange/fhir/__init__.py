"""FHIR R4: importing bundles (read, map, write, report), exporting them, and the code systems both use."""
