"""Widgets about one patient: finding them, their tables and their treatments."""
