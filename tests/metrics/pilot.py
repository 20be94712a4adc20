"""A synthetic pilot: a referral log with a known lift between community introductions and the directory.

Fixed seed. Referrals are issued over fifteen weeks ending two months before the report
date; each channel has a true chance of ever reaching a first session (community 0.60,
directory 0.40: a lift of 1.5) and a delay to it (community sooner). Some go on to a third
session; some of those who never start are declined or expire; the rest stay open at the
report date, which is after every first session, so the conversion a report sees is the
one drawn. Dates move with the report date; the draws do not.

    python -m tests.metrics.pilot pilot.csv     # writes the log, prints what it holds
"""

from __future__ import annotations

import csv
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SEED = 13
REPORT_DATE = date(2026, 11, 15)
# channel -> (referrals, chance of a first session, median days to it)
CHANNELS = {"community": (420, 0.60, 8), "directory": (640, 0.40, 13), "walk_in": (150, 0.45, 10), "practitioner": (150, 0.55, 9)}
LIFT = CHANNELS["community"][1] / CHANNELS["directory"][1]
INTRODUCERS = ("Amina Yusuf", "Dev Patel", "Grace Mensah", "Tomasz Nowak", "Rosa Lima", "Yusuf Ali")
HEADER = ("Code", "Issued", "Channel", "Introducer", "Practitioner", "Need", "Booked", "First session",
          "Third session", "Ended", "Ended reason")


@dataclass(frozen=True)
class Pilot:
    rows: list[dict[str, str]]
    referrals: dict[str, int]  # channel -> referrals
    first_sessions: dict[str, int]  # channel -> referrals with a first session
    third_sessions: dict[str, int]
    ended: int
    open: int


def generate(seed: int = SEED, report_date: date = REPORT_DATE) -> Pilot:
    rng = random.Random(seed)
    last_day = report_date - timedelta(days=61)  # + 30 to a first session + 28 to a third: before the report date
    first_day = last_day - timedelta(weeks=15)
    rows = []
    referrals = dict.fromkeys(CHANNELS, 0)
    firsts = dict.fromkeys(CHANNELS, 0)
    thirds = dict.fromkeys(CHANNELS, 0)
    ended = still_open = 0
    span = (last_day - first_day).days
    number = 0
    for channel, (count, chance, median_days) in CHANNELS.items():
        for _ in range(count):
            number += 1
            issued = first_day + timedelta(days=rng.randrange(span + 1))
            row = dict.fromkeys(HEADER, "")
            row.update({"Code": f"PILOT-{number:04d}", "Issued": issued.isoformat(), "Channel": channel.replace("_", "-")})
            if channel == "community":
                row["Introducer"] = rng.choice(INTRODUCERS)
            referrals[channel] += 1
            if rng.random() < chance:
                delay = min(30, max(1, round(rng.lognormvariate(0, 0.5) * median_days)))
                first = issued + timedelta(days=delay)
                row["Booked"] = (issued + timedelta(days=rng.randrange(delay))).isoformat()
                row["First session"] = first.isoformat()
                firsts[channel] += 1
                if rng.random() < 0.5:
                    row["Third session"] = (first + timedelta(days=rng.randrange(14, 29))).isoformat()
                    thirds[channel] += 1
                elif rng.random() < 0.3:
                    row["Ended"] = (first + timedelta(days=rng.randrange(5, 20))).isoformat()
                    row["Ended reason"] = "declined: stopped after the first session"
            elif rng.random() < 0.5:
                row["Ended"] = (issued + timedelta(days=rng.randrange(10, 31))).isoformat()
                row["Ended reason"] = rng.choice(["declined: not the right time", "expired"])
                ended += 1
            else:
                still_open += 1
            rows.append(row)
    rng.shuffle(rows)
    return Pilot(rows, referrals, firsts, thirds, ended, still_open)


def write(pilot: Pilot, path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(pilot.rows)
    return path


if __name__ == "__main__":
    made = generate()
    write(made, Path(sys.argv[1] if len(sys.argv) > 1 else "pilot.csv"))
    for channel in CHANNELS:
        print(f"{channel}: {made.first_sessions[channel]} of {made.referrals[channel]} reached a first session")
    print(f"true lift community/directory {LIFT:.2f}; {made.ended} ended before starting, {made.open} open")
