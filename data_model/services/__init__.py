"""Use cases that join reads and rules for app and CLI: the clinic evaluation and its incremental refresh, the worklist, one patient, follow-ups, the cohort page."""
