"""`paintrail import ...`: one module per format (a CSV folder, FHIR bundles)."""
