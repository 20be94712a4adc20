"""Synced tables: the two kinds (facts, records) and creating one with its common columns."""

from __future__ import annotations

from sqlite_utils import Database

FACT = "fact"
RECORD = "record"


def register_synced(db: Database, table: str, kind: str) -> None:
    db["synced_tables"].insert({"name": table, "kind": kind}, replace=True)


def create_synced_table(db: Database, table: str, kind: str, columns: dict, **kwargs) -> None:
    """Create a synced table with the common columns first, then register it."""
    db[table].create({"id": str, "origin": str, "hlc": str, **columns}, pk="id", **kwargs)
    register_synced(db, table, kind)
