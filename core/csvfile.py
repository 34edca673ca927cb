"""CSV for spreadsheets: a cell a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
from typing import Any, Iterable

#: What makes Excel, LibreOffice and Google Sheets read a cell as a formula (OWASP's list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every text cell goes through :func:`neutralise`."""

    def __init__(self, out, **fmtparams: Any) -> None:
        self._writer = csv.writer(out, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out, **fmtparams: Any) -> SafeWriter:
    """The one way to write CSV that may hold what people typed (names, notes, details)."""
    return SafeWriter(out, **fmtparams)
