"""The flag engine: the rules' input and visit timeline, the clinic curve OFF_TRACK compares with, the rule families, and the worklist they make."""
