"""Primary keys read from visitor input: a number our tables can hold, or a ``ValueError``."""

import pytest

from core.ids import database_id


@pytest.mark.parametrize("value, expected", [("1", 1), ("42", 42), (str(2**63 - 1), 2**63 - 1)])
def test_a_key_our_tables_can_hold_is_read(value, expected):
    assert database_id(value) == expected


@pytest.mark.parametrize("value", ["", "0", "-1", " 1", "1e9", "abc", "²", "٣", str(2**63), str(2**70), "9" * 5000])
def test_anything_else_is_refused(value):
    with pytest.raises(ValueError):
        database_id(value)
