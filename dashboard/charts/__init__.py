"""Plotly figures (a patient's trajectory, the cohort's charts), their export to files, and the PDF reports built from them."""
