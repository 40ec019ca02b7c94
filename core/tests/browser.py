"""Helpers shared by the browser tests (the ``page`` and ``live_server`` fixtures drive them)."""

# The password every test user gets from ``UserFactory``.
TEST_PASSWORD = "correct-horse-battery-staple"


def sign_in(page, live_server, email: str, password: str = TEST_PASSWORD, next_url: str = "/") -> None:
    """Submits the sign-in form; the caller checks where it landed."""
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
