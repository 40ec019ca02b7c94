"""Every page a superuser can open, walked in a real browser in English and Arabic, light and dark, at
1440 px and 390 px: a screenshot of each, no page wider than the viewport, right to left under Arabic,
no string the catalogue translates left in English, and no serious or critical finding from axe-core.

The pages come from the project's URL patterns (the same walk as the access table), so a page added
tomorrow is walked without touching this file. Screenshots go to artifacts/screenshots/walk/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import axe_playwright_python
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.translation import trans_real

from accounts.models import Role
from backoffice.tests.test_url_access import Samples
from consultants.models import Booking
from core.tests.browser import sign_in
from core.tests.url_patterns import named_patterns

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
COMBINATIONS = [
    (language, scheme, viewport)
    for language in ("en", "ar")
    for scheme in ("light", "dark")
    for viewport in ("desktop", "phone")
]
# Pages that are not pages: downloads, redirects and the endpoints of forms.
NOT_PAGES = {
    "favicon",
    "core:healthz",
    "set_language",
    "admin:logout",
    "admin:view_on_site",
    "admin:jsi18n",
    "admin:autocomplete",
    "auditing:audit_export",
    "billing:payments_export",
    "billing:refunds_export",
}
SERIOUS = {"serious", "critical"}
# axe-core takes most of the walk's time, so it checks every page in two combinations that between them
# take every language, theme and width once, and a page of each kind in the other six.
AXE_EVERY_PAGE = {("en", "light", "desktop"), ("ar", "dark", "phone")}
AXE_SAMPLE = {
    "backoffice:home",
    "admin:index",
    "admin:consultants_booking_changelist",
    "admin:consultants_booking_add",
    "admin:consultants_booking_change",
    "admin:consultants_consultant_change",
    "admin:consultants_booking_delete",
    "accounts:role_list",
    "accounts:role_detail",
    "auditing:audit_list",
    "auditing:audit_detail",
    "billing:payments",
    "billing:service_commission",
    "search hits",
    "account:overview",
    "sign-in",
    "password-reset",
    "forbidden",
    "not-found",
}
AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
# Table rows come from one template loop: the first three stand for the rest, and checking a hundred
# rows' contrast would triple the walk's time without finding anything the first rows do not show.
AXE_RUN = "axe.run({exclude: [['tbody tr:nth-child(n+4)']]}, {resultTypes: ['violations']})"

# The admin builds some widgets (select2) in jQuery ready handlers, which may run after "load": a handler
# added now runs after them, and a timer after that lets the page's own follow-ups run too.
SETTLED = """() => new Promise(resolve => {
  const later = () => setTimeout(resolve, 0);
  if (window.django && window.django.jQuery) window.django.jQuery(later); else later();
})"""
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# Every visible text node of the page, trimmed, once each. Form values and the content of <script>
# and <style> are not text a reader sees.
VISIBLE_TEXTS = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, template, [hidden], [aria-hidden=true]')) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text && parent.offsetParent !== null) texts.add(text);
  }
  for (const element of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
    for (const name of ['placeholder', 'aria-label', 'title']) {
      const value = element.getAttribute(name);
      if (value && value.trim()) texts.add(value.trim());
    }
  }
  return [...texts];
}"""


@dataclass(frozen=True)
class WalkedPage:
    name: str
    url: str
    status: int = 200

    @property
    def slug(self) -> str:
        return self.name.replace(":", "-").replace(" ", "-")


def walkable_pages(superuser) -> list[WalkedPage]:
    """Every named URL that answers a superuser's GET with an HTML page, then a search with hits and the
    refusal pages."""
    samples = Samples({role.name: role for role in Role.objects.all()})
    client = Client()
    client.force_login(superuser, backend="accounts.backends.EmailBackend")
    pages = []
    for name, pattern in named_patterns():
        if name in NOT_PAGES:
            continue
        kwargs = samples.kwargs_for(name, pattern)
        if kwargs is None:
            continue
        url = reverse(name, kwargs=kwargs)
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages.append(WalkedPage(name, url))
    return [
        *pages,
        WalkedPage("search hits", f"{reverse('search:results')}?{urlencode({'q': a_clients_last_name()})}"),
        # The audit trail is written by capture only: even a superuser is refused its add form.
        WalkedPage("forbidden", reverse("admin:auditing_auditlog_add"), status=403),
        WalkedPage("not-found", "/no-such-page/", status=404),
    ]


def a_clients_last_name() -> str:
    """The last name of the first booking's client: a search that finds people, sessions and payments."""
    booking = Booking.objects.select_related("client").order_by("pk").first()
    assert booking is not None, "the demo data has no booking"
    return booking.client.full_name.split()[-1]


# What a visitor who is not signed in sees.
ANONYMOUS_PAGES = (
    WalkedPage("sign-in", "/admin/login/"),
    WalkedPage("password-reset", "/account/password/reset/"),
)


def english_msgids_with_arabic() -> frozenset[str]:
    """The English strings the Arabic catalogues (ours and Django's) translate to something else."""
    catalog = trans_real.translation("ar")._catalog  # type: ignore[attr-defined]
    return frozenset(
        msgid
        for msgid, msgstr in catalog.items()
        if isinstance(msgid, str) and "\x04" not in msgid and msgid.strip() and msgstr != msgid
    )


@pytest.fixture
def walker(require_postgres, superuser):
    call_command("seed_demo", scale=1, verbosity=0, no_progress=True)
    return superuser


def test_every_page_in_both_languages_both_themes_and_both_widths(browser, live_server, walker, screenshot_dir):
    pages = walkable_pages(walker)
    assert len(pages) > 100, "the walk found too few pages to prove anything"
    shots = screenshot_dir / "walk"
    shots.mkdir(parents=True, exist_ok=True)
    untranslatable = english_msgids_with_arabic()
    problems: list[str] = []
    for language, scheme, viewport in COMBINATIONS:
        found = walk(browser, live_server, walker, pages, language, scheme, viewport, untranslatable, shots)
        (shots / f"problems--{language}-{scheme}-{viewport}.txt").write_text("".join(f"{line}\n" for line in found))
        problems += found
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)


def walk(browser, live_server, user, pages, language, scheme, viewport, untranslatable, shots: Path) -> list[str]:
    combination = (language, scheme, viewport)
    context = browser.new_context(
        viewport=VIEWPORTS[viewport], color_scheme=scheme, locale="ar" if language == "ar" else "en-US"
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    failed_loads: list[str] = []

    def note_failure(response) -> None:
        if response.status >= 400:
            failed_loads.append(response.url)

    page.on("response", note_failure)
    problems = []
    for walked in ANONYMOUS_PAGES:
        problems += check_page(page, live_server, walked, combination, untranslatable, shots, failed_loads)
    sign_in(page, live_server, user.email)
    page.wait_for_selector("h1")
    for walked in pages:
        problems += check_page(page, live_server, walked, combination, untranslatable, shots, failed_loads)
    context.close()
    return problems


def check_page(page, live_server, walked: WalkedPage, combination, untranslatable, shots, failed_loads) -> list[str]:
    language, scheme, viewport = combination
    where = f"{'-'.join(combination)} {walked.name} {walked.url}"
    failed_loads.clear()
    response = page.goto(live_server.url + walked.url)
    page.evaluate(SETTLED)
    page.screenshot(path=shots / f"{walked.slug}--{'-'.join(combination)}.png")
    problems = []
    if response is None or response.status != walked.status:
        problems.append(f"{where}: answered {response and response.status}, not {walked.status}")
    missing = [url for url in failed_loads if response is None or url != response.url]
    if missing:
        problems.append(f"{where}: failed to load {missing}")
    overflow = page.evaluate(OVERFLOW)
    if overflow > 0:
        problems.append(f"{where}: {overflow}px wider than the viewport")
    direction = page.evaluate("document.documentElement.dir")
    if direction != ("rtl" if language == "ar" else "ltr"):
        problems.append(f"{where}: dir={direction!r}")
    if language == "ar":
        left_in_english = sorted(set(page.evaluate(VISIBLE_TEXTS)) & untranslatable)
        if left_in_english:
            problems.append(f"{where}: left in English: {left_in_english}")
    if combination in AXE_EVERY_PAGE or walked.name in AXE_SAMPLE:
        page.evaluate(AXE_SOURCE)
        for violation in page.evaluate(AXE_RUN)["violations"]:
            if violation["impact"] in SERIOUS:
                targets = [node["target"] for node in violation["nodes"][:3]]
                problems.append(f"{where}: axe {violation['id']} ({violation['impact']}) at {targets}")
    return problems
