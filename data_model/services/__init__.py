"""Use cases for app and CLI: the clinic evaluation and its refresh, worklist, patient, follow-ups, cohort."""
