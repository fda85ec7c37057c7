"""A deterministic synthetic cohort for demos, tests and benchmarks."""
