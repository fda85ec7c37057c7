"""A clinic tablet handed to a patient for their self-report: staff start it, the patient answers, staff take it back."""
