"""Measurement: the event report, cohort metrics, community vs directory, and aggregates that combine."""
