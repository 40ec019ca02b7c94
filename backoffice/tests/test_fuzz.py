"""Hostile input everywhere: no address, query or form a user can send ends in a server error.

Every URL the resolver knows is requested as a SUPER_ADMIN (who may open them all) and as an anonymous
visitor with hostile values in each place a value can go: each path parameter, each query parameter
the page itself offers (its filter forms, its links: list filters, sorting, paging, date drill-downs,
the admin's autocomplete), and each field of each form on the page, posted back with one field
replaced at a time. The walk is bounded (the ``FUZZ_REQUEST_BUDGET`` setting) and seeded (``FUZZ_SEED``;
both in config/settings/test.py), so a failure repeats; every 5xx is listed with the exception that caused it.
"""

import itertools
import random
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.signals import got_request_exception
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accounts.rbac_catalog import SUPER_ADMIN
from backoffice.tests.test_url_access import Samples, signed_in_persona
from core.tests.url_patterns import named_patterns

pytestmark = pytest.mark.django_db


# Values for query strings and form fields: absurd dates and numbers, wrong types, markup, control
# characters, text the database refuses (NUL), text longer than any column.
HOSTILE_VALUES = (
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "2026-02-30",
    "2026-13-45T25:61:61",
    "-1",
    "0",
    "99999999999999999999",
    "1e309",
    "NaN",
    "abc",
    "١٢٣",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "a\x00b",
    "\x1b[31m",
    "x" * 5000,
    "[]",
    "%",
    "../../etc/passwd",
)
# Values for path parameters (ids, entity types): the resolver's converters let some through.
HOSTILE_PATH_VALUES = ("0", "-1", "99999999999999999999", "abc", "%00", "%ff%fe", "1e9", "..%2f..", "٣", "%20")
# Forms whose submission would end the walk itself rather than test anything.
# Forms that would end the walking staff member's own session (signing out, or a new password that
# signs every session out): the rest of the walk would then only see the sign-in page.
SKIPPED_ACTIONS = ("/admin/logout/", "/account/sign-out/", "/account/password/", "/account/sessions/sign-out-others/")


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class PageParser(HTMLParser):
    """The parts of a page that take input: forms and their fields, links with a query, autocompletes."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self.link_params: set[str] = set()
        self.autocompletes: set[tuple[str, str, str]] = set()
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(Form(action=attrs.get("action") or "", method=(attrs.get("method") or "get").lower()))
        elif tag == "a" and "?" in (attrs.get("href") or ""):
            self.link_params.update(name for name, _ in parse_qsl(urlsplit(attrs["href"]).query))
        elif tag in ("input", "select", "textarea") and attrs.get("name") and self.forms:
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                value = None
            else:
                value = attrs.get("value") or ""
            if value is not None or attrs["name"] not in self.forms[-1].fields:
                self.forms[-1].fields[attrs["name"]] = value or ""
            self._select = attrs["name"] if tag == "select" else None
            self._textarea = attrs["name"] if tag == "textarea" else None
            if attrs.get("data-app-label") and attrs.get("data-field-name"):
                self.autocompletes.add((attrs["data-app-label"], attrs["data-model-name"], attrs["data-field-name"]))
        elif tag == "option" and self._select and "selected" in attrs and self.forms:
            self.forms[-1].fields[self._select] = attrs.get("value") or ""

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag in ("select", "textarea"):
            self._select = self._textarea = None


@dataclass
class Walk:
    clients: dict[str, Client]
    rng: random.Random
    sent: int = 0
    server_errors: list[str] = field(default_factory=list)
    _last_exception: list = field(default_factory=list)

    def request(self, who: str, method: str, url: str, data=None) -> HttpResponse:
        self.sent += 1
        self._last_exception.clear()
        response = getattr(self.clients[who], method)(url, data or {})
        if response.status_code >= 500:
            cause = repr(self._last_exception[-1])[:300] if self._last_exception else "no exception"
            shown = {key: (value[:40] + "…" if len(value) > 40 else value) for key, value in (data or {}).items()}
            self.server_errors.append(f"{who} {method.upper()} {url[:200]} {shown if data else ''} -> {cause}")
        return response

    def record_exception(self, sender, request=None, **kwargs):
        import sys

        self._last_exception.append(sys.exc_info()[1])

    def budget_left(self) -> bool:
        return self.sent < settings.FUZZ_REQUEST_BUDGET


def hostile_paths(url: str, kwargs: dict) -> list[str]:
    """``url`` with each path parameter's value replaced, in turn, by each hostile value."""
    variants: list[str] = []
    for value in kwargs.values():
        segment = f"/{quote(str(value), safe='')}/"
        if segment in url:
            variants.extend(url.replace(segment, f"/{hostile}/", 1) for hostile in HOSTILE_PATH_VALUES)
    return variants


def query_names(url: str, page: PageParser) -> set[str]:
    names = set(page.link_params)
    for form in page.forms:
        if form.method == "get":
            names.update(form.fields)
    # A date hierarchy links to years first; months and days are one click deeper.
    names.update(
        f"{name[: -len('__year')]}__{part}"
        for name in set(names)
        if name.endswith("__year")
        for part in ("month", "day")
    )
    return names - {"csrfmiddlewaretoken"}


def forms_to_post(pages: dict[str, PageParser]) -> list[tuple[str, dict, str]]:
    """Each (action, the form's own values, one field to replace) of every POST form on every page."""
    posts: list[tuple[str, dict, str]] = []
    for url, page in pages.items():
        for form in page.forms:
            action = form.action or url
            if form.method == "post" and not action.startswith(SKIPPED_ACTIONS):
                posts.extend((action, form.fields, name) for name in form.fields if name != "csrfmiddlewaretoken")
    return posts


def test_no_hostile_request_gets_a_server_error():
    # given the demo data and a SUPER_ADMIN (who may open every page) next to an anonymous visitor
    call_command("seed_demo", scale=1, verbosity=0, no_progress=True)
    roles = {role.name: role for role in Role.objects.all()}
    persona = signed_in_persona(SUPER_ADMIN, roles)
    staff = Client(raise_request_exception=False)
    staff.force_login(persona, backend="accounts.backends.EmailBackend")
    walk = Walk(
        clients={"staff": staff, "anonymous": Client(raise_request_exception=False)},
        rng=random.Random(settings.FUZZ_SEED),
    )
    got_request_exception.connect(walk.record_exception)
    samples = Samples(roles)
    urls = []
    for name, pattern in named_patterns():
        kwargs = samples.kwargs_for(name, pattern)
        if kwargs is not None and name != "admin:logout":
            urls.append((reverse(name, kwargs=kwargs), kwargs))
    values = itertools.cycle(HOSTILE_VALUES)
    autocomplete = reverse("admin:autocomplete")
    sent_by_phase = {}

    # when every page is opened with hostile paths, form fields and queries
    try:
        pages = {}
        for url, kwargs in urls:
            for who in ("staff", "anonymous"):
                walk.request(who, "get", url)
            response = walk.request("staff", "get", url)
            pages[url] = PageParser()
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                pages[url].feed(response.content.decode(errors="replace"))
            for variant in hostile_paths(url, kwargs):
                walk.request("staff", "get", variant)
        sent_by_phase["pages and paths"] = walk.sent

        # every field of every form, posted back with two hostile values in turn
        for action, fields, name in forms_to_post(pages):
            for _ in range(2):
                walk.request("staff", "post", action, {**fields, name: next(values)})
        for hostile in HOSTILE_VALUES:
            walk.request("anonymous", "post", reverse("admin:login"), {"username": hostile, "password": hostile})
        sent_by_phase["forms"] = walk.sent - sum(sent_by_phase.values())

        # each autocomplete once (pages share them), hostile in its term and in what names it
        for app_label, model_name, field_name in sorted(set().union(*(page.autocompletes for page in pages.values()))):
            params = {"app_label": app_label, "model_name": model_name, "field_name": field_name}
            for key in ("term", *params):
                for hostile in HOSTILE_VALUES[:: 1 if key == "term" else 4]:
                    walk.request("staff", "get", f"{autocomplete}?{urlencode({**params, key: hostile})}")
        sent_by_phase["autocompletes"] = walk.sent - sum(sent_by_phase.values())

        # every query parameter a page offers, with every hostile value, as far as the budget goes
        queries = [(url, name) for url, page in pages.items() for name in sorted(query_names(url, page))]
        for url, name in queries:
            for hostile in HOSTILE_VALUES:
                if walk.budget_left():
                    walk.request("staff", "get", f"{url}?{urlencode({name: hostile})}")
        sent_by_phase["queries"] = walk.sent - sum(sent_by_phase.values())
    finally:
        got_request_exception.disconnect(walk.record_exception)

    # then nothing answered with a server error
    phases = ", ".join(f"{phase} {count}" for phase, count in sent_by_phase.items())
    summary = (
        f"fuzz: {walk.sent} requests over {len(urls)} URLs ({phases}; query budget covered "
        f"{sent_by_phase['queries']} of {len(queries) * len(HOSTILE_VALUES)}), {len(walk.server_errors)} server errors"
    )
    report = Path(__file__).resolve().parents[2] / "artifacts" / "fuzz-summary.txt"
    report.parent.mkdir(exist_ok=True)
    report.write_text(summary + "\n" + "\n".join(walk.server_errors) + "\n")
    print(summary)
    assert walk.sent > 1000, summary
    assert walk.server_errors == [], summary + "\n" + "\n".join(walk.server_errors[:60])
