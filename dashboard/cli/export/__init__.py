"""`paintrail export ...`: one module per format (fhir, csv, audit, chart, report) and the --out file they write."""
