"""sqlite-utils without pandas and numpy: imported before anything else in fieldkit.store.

sqlite-utils imports pandas and numpy whenever they are installed, to map their column
types; the test extras (statsmodels) and many laptops' Pythons have them. That was 0.4 s
of every start of `fieldkit` (the budget is 0.6 s, DESIGN.md) and started numpy's BLAS
threads beside the app, for types Field Kit never passes to sqlite-utils. So sqlite-utils
is imported while the two are marked unavailable, and the marks are taken away at once:
anything else in the process imports them as before. One already imported is left alone.
"""

from __future__ import annotations

import sys

withheld = [name for name in ("pandas", "numpy") if name not in sys.modules]
for name in withheld:
    sys.modules[name] = None  # an import of it now raises ImportError, which sqlite-utils expects
try:
    import sqlite_utils.db  # noqa: F401  (once imported, it keeps what it found)
finally:
    for name in withheld:
        if name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]
