"""Every name and path the documentation quotes resolves: docstrings, the README and the decision records.

A reference that no longer resolves sends a newcomer looking for a file, module or function that moved
or never existed. Quoted references are `backticked` in Markdown and ``double-backticked`` in docstrings;
each is checked by what it looks like:

* a repository path (``auditing/capture.py``, ``docs/decisions/0009-...md``) must exist;
* a template path (``accounts/role_detail.html``) must be found by the template loaders;
* a dotted name whose first part is one of our packages (``accounts.services.roles.role_create``,
  ``core.request_context``) must import, attribute by attribute;
* an ``app_label.Model`` or ``app_label.model`` label must name a model;
* a permission codename (``accounts.manage_roles``) must be in the catalogue.
"""

import ast
import importlib
import importlib.util
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from accounts.rbac_catalog import permission_catalog
from operations.system_settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRECTORIES = {".git", ".venv", "node_modules", "staticfiles", "media", "artifacts", "migrations"}
OUR_PACKAGES = {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()} | {"config"}
QUOTED_MARKDOWN = re.compile(r"(?<!`)`([^`\s]+)`(?!`)")
QUOTED_DOCSTRING = re.compile(r"``([^`\s]+)``")
PATH_SUFFIXES = (".py", ".md", ".html", ".txt", ".toml", ".css", ".js", ".yaml", ".yml", ".example")
# PostgreSQL session settings the audit trail uses (``set_config('auditing.context', ...)``): dotted like
# a module path, but names inside the database.
DATABASE_SETTINGS = frozenset({"auditing.context", "auditing.capture"})
# System settings are named by dotted keys (``support.auto_close_days``): a key must be one that is declared.
SYSTEM_SETTING_KEYS = frozenset(SETTINGS)
# Placeholders in a quoted path or name: a pattern, not a reference.
PLACEHOLDER = re.compile(r"[<>*{}\[\]]|NNNN|\.\.\.")


def source_files():
    for path in sorted(ROOT.rglob("*")):
        if path.is_file() and not SKIPPED_DIRECTORIES.intersection(path.relative_to(ROOT).parts):
            yield path


def quoted_references():
    """(where, text) for every quoted reference in Markdown files and in Python docstrings."""
    for path in source_files():
        relative = path.relative_to(ROOT)
        if path.suffix == ".md":
            for number, line in enumerate(path.read_text().splitlines(), 1):
                for match in QUOTED_MARKDOWN.finditer(line):
                    yield f"{relative}:{number}", match.group(1)
        elif path.suffix == ".py":
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                    docstring = ast.get_docstring(node)
                    if docstring:
                        line = getattr(node, "lineno", 1)
                        for match in QUOTED_DOCSTRING.finditer(docstring):
                            yield f"{relative}:{line}", match.group(1)


def permission_codenames() -> set[str]:
    return {spec.codename for spec in permission_catalog()}


def resolves(reference: str, codenames: set[str]) -> bool | None:
    """True or False for a reference of a kind we check; None for text that is no reference (code, values)."""
    reference = reference.rstrip(".,:;").removesuffix("()")
    if PLACEHOLDER.search(reference) or reference.startswith(("http", "/", "-", "$", "~")):
        return None
    if reference.split("/")[0] in SKIPPED_DIRECTORIES:
        return None  # made by running something (screenshots, collected static files), not kept in the project
    if "/" in reference and reference.endswith(PATH_SUFFIXES):
        return _path_resolves(reference)
    if reference.endswith("/"):
        # A folder of ours (``docs/decisions/``); a folder inside any app (``management/commands/``) or a
        # name weighed and refused (``platform/``) is prose, not a reference.
        return _path_resolves(reference) if (ROOT / reference.split("/")[0]).is_dir() else None
    if re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+", reference) and reference.split(".")[0] in OUR_PACKAGES:
        return _dotted_resolves(reference, codenames)
    return None


def _path_resolves(reference: str) -> bool:
    path = reference.split("#")[0].split(":")[0]
    if (ROOT / path).exists():
        return True
    if path.endswith(".html"):
        try:
            get_template(path)
        except TemplateDoesNotExist:
            return False
        return True
    return False


def _dotted_resolves(reference: str, codenames: set[str]) -> bool:
    if reference in codenames or reference in DATABASE_SETTINGS or reference in SYSTEM_SETTING_KEYS:
        return True
    app_label, _, rest = reference.partition(".")
    if "." not in rest:
        try:
            apps.get_model(app_label, rest)
        except LookupError:
            pass
        else:
            return True
    parts = reference.split(".")
    for split in range(len(parts), 0, -1):
        module = ".".join(parts[:split])
        try:
            spec = importlib.util.find_spec(module)
        except ImportError:
            spec = None
        if spec is None:
            continue
        if split == len(parts):
            return True
        try:
            target = importlib.import_module(module)
        except Exception:  # noqa: BLE001 - a module that refuses to import here (production settings)
            return spec.origin is not None and _defined_at_top_level(spec.origin, parts[split])
        for attribute in parts[split:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


def _defined_at_top_level(source: str, name: str) -> bool:
    tree = ast.parse(Path(source).read_text())
    for node in tree.body:
        targets = [node.name] if hasattr(node, "name") else []
        if isinstance(node, ast.Assign):
            targets = [target.id for target in node.targets if isinstance(target, ast.Name)]
        if name in targets:
            return True
    return False


def test_every_quoted_name_and_path_resolves():
    codenames = permission_codenames()
    checked, broken = 0, []
    for where, reference in quoted_references():
        verdict = resolves(reference, codenames)
        if verdict is None:
            continue
        checked += 1
        if not verdict:
            broken.append(f"{where}: {reference}")
    assert checked > 100, checked  # the walk found the references: an empty one would prove nothing
    assert broken == [], "\n".join(broken)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("auditing/capture.py", True),
        ("auditing/sql.py", False),
        ("core.request_context.bind_system_actor", True),
        ("core.request_context.no_such_thing", False),
        ("accounts.manage_roles", True),
        ("consultants.Booking", True),
        ("consultants.booking", True),
        ("accounts/role_detail.html", True),
        ("SELECT 1", None),
        ("<app>/templates/<app>/", None),
    ],
)
def test_the_resolver_tells_references_apart(reference, expected):
    assert resolves(reference, permission_codenames()) is expected
