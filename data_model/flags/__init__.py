"""The flag engine: the rules' input and timeline, the clinic curve, the rule families and the worklist."""
