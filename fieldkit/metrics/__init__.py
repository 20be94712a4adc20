"""Measurement: what each event and cohort achieved, always with small counts suppressed."""

from fieldkit.metrics.aggregates import Aggregates, AggregatesRefused, combined, read_file, write_file
from fieldkit.metrics.csv_out import write_csv
from fieldkit.metrics.pseudonyms import Earlier, earlier_events, key_of
from fieldkit.metrics.queries import Scope, collect
from fieldkit.metrics.report import build
from fieldkit.metrics.text import render

__all__ = [
    "Aggregates",
    "AggregatesRefused",
    "Earlier",
    "Scope",
    "build",
    "collect",
    "combined",
    "earlier_events",
    "key_of",
    "read_file",
    "render",
    "write_csv",
    "write_file",
]
