"""Cohort figures: who is in a cohort, its pain curves, responder rates, time to recovery and summary figures."""
