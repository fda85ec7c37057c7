"""Helpers for the tests that drive PainTrail from other processes (workers, CSV folders, CLI runs)."""
