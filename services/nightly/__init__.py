"""Nightly: the six steps (one module each), their shared shape and bulk writes (steps, base, moves),
the grants the rules count caps against, the night's lease and person-partition leasing,
the business day and what a night shows operations (report). `runner` runs them without Prefect."""
