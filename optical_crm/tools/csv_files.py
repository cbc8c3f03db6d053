"""CSV files from and for spreadsheets: read within limits, write without formulas.

Plain Python, no Odoo import.
"""

import csv
import re

# A cell starting with one of these is run as a formula by spreadsheets (OWASP
# "CSV injection"): written out with a leading single quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# plain numbers (-2,75 or +393331234567) are not formulas: left as they are
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")


class TooManyRows(ValueError):
    """The file has more data rows than allowed (reading stopped there)."""


def neutralize(value):
    """``value`` as a spreadsheet cell that cannot run as a formula."""
    value = "" if value is None else str(value)
    if value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unneutralize(value):
    """The value of a cell written by ``neutralize`` (a file sent back)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def neutralized_row(cells):
    return [neutralize(cell) for cell in cells]


def sniff_delimiter(first_line):
    """``;`` as Italian software writes it, else a tab or a comma."""
    if ";" in first_line:
        return ";"
    return "\t" if "\t" in first_line else ","


def read_rows(lines, max_rows):
    """``(header, [(line number, cells)], delimiter)`` of a CSV text.

    ``lines`` is any iterable of text lines (a file opened with ``newline=""``):
    it is read one line at a time and reading stops at the first data row beyond
    ``max_rows`` (``TooManyRows``), so a huge file is never loaded whole. Blank
    rows are skipped. A ``csv.Error`` carries the line number as its second
    argument.
    """
    lines = iter(lines)
    first = next(lines, "")
    delimiter = sniff_delimiter(first)

    def all_lines():
        yield first
        yield from lines

    reader = csv.reader(all_lines(), delimiter=delimiter)
    header = None
    rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = cells
                continue
            if len(rows) >= max_rows:
                raise TooManyRows(max_rows)
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise csv.Error(str(exc), reader.line_num) from exc
    return header, rows, delimiter
