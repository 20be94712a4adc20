"""How names are folded for search: any script to lowercase ASCII words, so a keyboard
without Ł, ø, ı or Cyrillic still finds Łukasz, Søren, Yılmaz and Іван.

The folding is a transliteration library's (anyascii: every script, maintained tables),
not a hand-made table; the query is folded the same way, so `Іван` still finds Іван.
"""

from __future__ import annotations

from anyascii import anyascii


def fold_name(text: str) -> str:
    """`text` as the search index keeps it: ASCII, case-folded, single spaces."""
    return " ".join(anyascii(text).casefold().split())
