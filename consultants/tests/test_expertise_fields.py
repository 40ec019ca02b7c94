"""Reading legacy `expertise_fields` values: what is understood and what is reported."""

import pytest

from consultants.expertise_fields import expertise_names_parse


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (["Economic", " legal "], ["Economic", "legal"]),
        (["Human   Resources"], ["Human Resources"]),
        ('["Economic", "Legal"]', ["Economic", "Legal"]),
        ("Economic, Legal ,Marketing", ["Economic", "Legal", "Marketing"]),
        ("Legal", ["Legal"]),
        ([], []),
        (None, []),
    ],
)
def test_usable_shapes_give_clean_names(value, names):
    parsed = expertise_names_parse(value)

    assert parsed.names == names
    assert parsed.problems == []


@pytest.mark.parametrize(
    ("value", "names", "problem"),
    [
        (42, [], ("42", "not a list (int)")),
        ({"field": "Legal"}, [], ('{"field": "Legal"}', "not a list (dict)")),
        (True, [], ("true", "not a list (bool)")),
        ([1, "Legal"], ["Legal"], ("1", "not a string (int)")),
        ([["Legal"]], [], ('["Legal"]', "not a string (list)")),
        (["", "Legal"], ["Legal"], ('""', "an empty name")),
        (["   "], [], ('"   "', "an empty name")),
        ("", [], ('""', "an empty name")),
        ("Legal,,Marketing", ["Legal", "Marketing"], ('"Legal,,Marketing"', "an empty name")),
        ("[Economic", [], ('"[Economic"', "a string that starts like a JSON list but is not valid JSON")),
        ('["Economic", 7]', ["Economic"], ("7", "not a string (int)")),
        (["x" * 101], [], ('"' + "x" * 78 + "…", "longer than 100 characters")),
    ],
)
def test_anything_else_is_reported_with_the_offending_value(value, names, problem):
    parsed = expertise_names_parse(value)

    assert parsed.names == names
    assert parsed.problems == [problem]
