"""CSV downloads: every cell as a spreadsheet will show it, never run it; lines formatted lazily."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from core.csv_export import csv_cell, csv_download, csv_lines, formula_safe


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("http://x")'])
def test_text_a_spreadsheet_would_run_is_written_with_a_leading_apostrophe(text):
    assert formula_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["", "plain", "a=1", " =1", "'quoted", "100", "Ärger, €"])
def test_other_text_is_written_as_it_is(text):
    assert formula_safe(text) == text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (date(2026, 3, 1), "2026-03-01"),
        (datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "2026-03-01T09:30:00+00:00"),
        (Decimal("-12.50"), "-12.50"),  # a number, not a formula: as it is
        (Decimal("1E+3"), "1E+3"),
        (-7, "-7"),
        (2.5, "2.5"),
        ("-12.50", "'-12.50"),  # text that looks like one still could be run
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("Refund for a late start", "Refund for a late start"),
    ],
)
def test_each_value_becomes_a_cell(value, cell):
    assert csv_cell(value) == cell


def test_lines_are_the_header_then_each_row_quoted_as_csv_needs():
    rows = [[1, "Late, then =cancelled", None], [2, 'Said "no"', Decimal("5.00")]]

    lines = list(csv_lines(["id", "reason", "amount"], rows))

    assert lines[0] == "id,reason,amount\r\n"
    assert list(csv.reader(io.StringIO("".join(lines)))) == [
        ["id", "reason", "amount"],
        ["1", "Late, then =cancelled", ""],
        ["2", 'Said "no"', "5.00"],
    ]


def test_lines_are_formatted_only_as_they_are_read():
    read = []

    def rows():
        for n in range(3):
            read.append(n)
            yield [n]

    lines = csv_lines(["n"], rows())
    assert next(lines) == "n\r\n" and read == []
    assert next(lines) == "0\r\n" and read == [0]


def test_a_cell_formatter_can_be_given():
    assert list(csv_lines(["v"], [["x"]], cell=str.upper)) == ["v\r\n", "X\r\n"]


def test_a_download_is_a_streamed_attachment_named_with_the_time():
    response = csv_download(iter(["a\r\n", "b\r\n"]), name="payments")

    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="payments-') and disposition.endswith('.csv"')
    assert response.getvalue() == b"a\r\nb\r\n"
