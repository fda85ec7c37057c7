"""`paintrail bench`: the speed-at-scale benchmark (seeded throwaway databases, timed medians, a table and JSON)."""
