"""Reading the legacy ``Consultant.expertise_fields`` values, written by several generations of forms.

Understood:

* a JSON list of strings, the intended shape: ``["Economic", " legal "]``;
* a string holding a JSON list, double-encoded by an old API client: ``'["Economic", "Legal"]'``;
* a comma-separated string, from the first sign-up form: ``"Economic, Legal"``;
* ``null`` or an empty list: no expertise.

Everything else is reported, never guessed at: other JSON types (numbers, objects, booleans), list items
that are not strings, empty names, names too long for a specialty, and strings that look like JSON but do
not parse. Names match specialties ignoring case and surrounding or repeated whitespace.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from consultants.models import Specialty

MAX_NAME_LENGTH = cast(int, Specialty._meta.get_field("name").max_length)  # a CharField always has one
_SHOWN_VALUE_LENGTH = 80


@dataclass
class ParsedExpertise:
    """The usable names of one value (cleaned, in order) and what could not be used, as (value, reason)."""

    names: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


def expertise_names_parse(value: object) -> ParsedExpertise:
    """Split one legacy ``expertise_fields`` value into specialty names and problems. Never raises."""
    parsed = ParsedExpertise()
    if value is None:
        return parsed
    if isinstance(value, list):
        _add_items(parsed, value)
    elif isinstance(value, str):
        _add_string(parsed, value)
    else:
        parsed.problems.append((shown(value), f"not a list ({type(value).__name__})"))
    return parsed


def name_clean(name: str) -> str:
    """The name as we store it: surrounding whitespace removed, inner runs collapsed to one space."""
    return " ".join(name.split())


def name_key(name: str) -> str:
    """What two names must share to be the same specialty: the cleaned name, case-folded."""
    return name_clean(name).casefold()


def shown(value: object) -> str:
    """A short JSON rendering of an offending value, for reports."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN_VALUE_LENGTH else text[: _SHOWN_VALUE_LENGTH - 1] + "…"


def _add_string(parsed: ParsedExpertise, value: str) -> None:
    text = value.strip()
    if not text.startswith("["):
        _add_items(parsed, text.split(","), source=value)
        return
    try:
        decoded = json.loads(text)  # valid JSON starting with "[" is always a list
    except json.JSONDecodeError:
        parsed.problems.append((shown(value), "a string that starts like a JSON list but is not valid JSON"))
        return
    _add_items(parsed, decoded)


def _add_items(parsed: ParsedExpertise, items: Sequence[object], source: object = None) -> None:
    for item in items:
        if not isinstance(item, str):
            parsed.problems.append((shown(item), f"not a string ({type(item).__name__})"))
        elif not (name := name_clean(item)):
            parsed.problems.append((shown(item if source is None else source), "an empty name"))
        elif len(name) > MAX_NAME_LENGTH:
            parsed.problems.append((shown(item), f"longer than {MAX_NAME_LENGTH} characters"))
        else:
            parsed.names.append(name)
