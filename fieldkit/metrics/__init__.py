"""Measurement: what each event and cohort achieved, always with small counts suppressed."""
