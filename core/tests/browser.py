"""Helpers shared by the browser tests (the ``page`` and ``live_server`` fixtures drive them)."""

from pathlib import Path

import axe_playwright_python

# The password every test user gets from ``UserFactory``.
TEST_PASSWORD = "correct-horse-battery-staple"


def sign_in(page, live_server, email: str, password: str = TEST_PASSWORD, next_url: str = "/") -> None:
    """Submits the sign-in form; the caller checks where it landed."""
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


# axe-core findings a page may not have.
SERIOUS_ACCESSIBILITY_IMPACTS = frozenset({"serious", "critical"})
AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def page_fit_problems(page, url: str, *, language: str, width: int) -> list[str]:
    """Opens ``url`` and lists what is wrong with it: a failing answer, wider than its ``width`` px screen,
    not in the reading direction of ``language``, or a serious or critical axe-core finding. The page
    stays open, for a screenshot."""
    response = page.goto(url)
    if response is None or response.status != 200:
        return [f"{url}: status {response.status if response else 'none'}"]
    problems = []
    if page.evaluate("document.documentElement.scrollWidth - window.innerWidth") > 0:
        problems.append(f"{url}: wider than {width}px")
    direction = "rtl" if language == "ar" else "ltr"
    if page.evaluate("document.documentElement.dir") != direction:
        problems.append(f"{url}: not {'right to left' if direction == 'rtl' else 'left to right'}")
    page.evaluate(AXE_SOURCE)  # evaluated by the test, not injected: the pages' CSP allows no inline script
    found = page.evaluate("axe.run({resultTypes: ['violations']})")["violations"]
    problems += [
        f"{url}: axe {finding['id']} at {[node['target'] for node in finding['nodes'][:3]]}"
        for finding in found
        if finding["impact"] in SERIOUS_ACCESSIBILITY_IMPACTS
    ]
    return problems
