"""Settings that cannot lie: only the settings read the environment, and every variable they read is documented.

The settings (``config/settings/*.py``) read each environment variable once, through django-environ's
``env`` (and production's ``required``); everything else reads ``django.conf.settings``. ``.env.example``
and the README's "Configuration" table list exactly the variables the settings read. These tests read
the source files and import nothing of the project.
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DIR = ROOT / "config" / "settings"
SKIPPED_DIRECTORIES = {".git", ".venv", "node_modules", "staticfiles", "media", "artifacts", "__pycache__"}

# The functions through which the settings read a variable: django-environ's ``env(...)``/``env.<cast>(...)``
# and production's ``required(...)``, each with the variable's name as first argument.
SETTINGS_READERS = {"env", "required"}

# Modules outside the settings that may touch one environment variable, and why.
_CHOOSES_SETTINGS = "chooses which settings module loads, so it runs before any settings exist"
_BENCH_LAUNCHER = (
    "a benchmark is a launcher run before any settings exist: it picks the server to create its scratch "
    "database on and hands that database's URL to the settings it starts"
)
ENVIRONMENT_EXCEPTIONS = {
    ("manage.py", "DJANGO_SETTINGS_MODULE"): _CHOOSES_SETTINGS,
    ("config/wsgi.py", "DJANGO_SETTINGS_MODULE"): _CHOOSES_SETTINGS,
    ("config/asgi.py", "DJANGO_SETTINGS_MODULE"): _CHOOSES_SETTINGS,
    ("config/celery.py", "DJANGO_SETTINGS_MODULE"): _CHOOSES_SETTINGS,
    ("bench/permissions.py", "DJANGO_SETTINGS_MODULE"): _CHOOSES_SETTINGS,
    # A write (setdefault), not a configuration read: Django's async-safety guard looks this variable up
    # in os.environ itself at every guarded call, so no setting can stand in for it.
    ("conftest.py", "DJANGO_ALLOW_ASYNC_UNSAFE"): "tells Django's async-safety guard that the browser tests are safe",
    ("bench/changelists.py", "DATABASE_URL"): _BENCH_LAUNCHER,
    ("bench/audit.py", "DATABASE_URL"): _BENCH_LAUNCHER,
    ("bench/permissions.py", "DATABASE_URL"): _BENCH_LAUNCHER,
    ("bench/name_search.py", "DATABASE_URL"): _BENCH_LAUNCHER,
    ("bench/file_attachments.py", "DATABASE_URL"): _BENCH_LAUNCHER,
    ("bench/support_queue.py", "DATABASE_URL"): _BENCH_LAUNCHER,
    ("bench/billing_finance.py", "DATABASE_URL"): _BENCH_LAUNCHER,
    ("bench/billing_refunds.py", "DATABASE_URL"): _BENCH_LAUNCHER,
    ("bench/notifications_delivery.py", "DATABASE_URL"): _BENCH_LAUNCHER,
}
# Documented in the README although the settings cannot read it: it chooses the settings themselves.
READ_BEFORE_SETTINGS = {"DJANGO_SETTINGS_MODULE"}

# os.environ methods that look one variable up (setdefault too: it returns the value already set).
_LOOKUP_METHODS = {"get", "pop", "setdefault", "__getitem__", "__contains__"}
_ENVIRON_NAMES = {"environ", "environb"}
_GETENV_NAMES = {"getenv", "getenvb"}


@dataclass(frozen=True)
class EnvironmentAccess:
    path: str
    line: int
    variable: str


def python_files(directory: Path):
    for entry in sorted(directory.iterdir()):
        if entry.is_dir():
            if entry.name not in SKIPPED_DIRECTORIES:
                yield from python_files(entry)
        elif entry.suffix == ".py":
            yield entry


def _variable_name(node: ast.expr | None) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else "<computed name>"


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr in _ENVIRON_NAMES
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def environment_accesses(source: str, path: str) -> list[EnvironmentAccess]:
    """Every place ``source`` looks an environment variable up (reads, and setdefault).

    Writes (``os.environ[name] = ...``) read nothing. Passing the whole environment on to a child process
    (``{**os.environ, ...}``, ``os.environ.items()``) interprets no variable: the child's settings do.
    Importing another way in (``from os import environ``, django-environ) counts as an access.
    """
    tree = ast.parse(source, filename=path)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    found = []

    def record(node: ast.AST, variable: str) -> None:
        found.append(EnvironmentAccess(path, getattr(node, "lineno", 0), variable))

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in _ENVIRON_NAMES | _GETENV_NAMES:
                    record(node, f"<from os import {alias.name}>")
        elif isinstance(node, ast.Import) and any(alias.name == "environ" for alias in node.names):
            record(node, "<django-environ>")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _GETENV_NAMES:
            if isinstance(node.func.value, ast.Name) and node.func.value.id == "os":
                record(node, _variable_name(node.args[0] if node.args else None))
        elif _is_os_environ(node):
            parent = parents.get(node)
            if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Load):
                record(node, _variable_name(parent.slice))
            elif isinstance(parent, ast.Attribute) and parent.attr in _LOOKUP_METHODS:
                call = parents.get(parent)
                arguments = call.args if isinstance(call, ast.Call) else []
                record(node, _variable_name(arguments[0] if arguments else None))
            elif isinstance(parent, ast.Compare) and any(isinstance(op, ast.In | ast.NotIn) for op in parent.ops):
                record(node, _variable_name(parent.left))
    return found


def accesses_outside_settings() -> list[EnvironmentAccess]:
    found = []
    for path in python_files(ROOT):
        if SETTINGS_DIR in path.parents:
            continue
        found += environment_accesses(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    return found


def variables_the_settings_read() -> dict[str, list[str]]:
    """Each variable the settings read, with where (``file:line``). Fails on a name that is not a literal."""
    variables: dict[str, list[str]] = {}
    for path in sorted(SETTINGS_DIR.glob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        # Inside a reader's own definition (production's ``required``) the name is its parameter: the
        # variables are collected where the reader is called.
        inside_readers = {
            id(inner)
            for definition in ast.walk(tree)
            if isinstance(definition, ast.FunctionDef) and definition.name in SETTINGS_READERS
            for inner in ast.walk(definition)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in inside_readers:
                continue
            function = node.func
            reader = function.value if isinstance(function, ast.Attribute) else function
            if not (isinstance(reader, ast.Name) and reader.id in SETTINGS_READERS):
                continue
            if isinstance(function, ast.Attribute) and function.attr == "read_env":
                continue  # reads the .env file, not one variable
            name_argument = (
                node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "var"), None)
            )
            name = _variable_name(name_argument)
            assert name != "<computed name>", f"{relative}:{node.lineno} reads a variable whose name is not a literal"
            variables.setdefault(name, []).append(f"{relative}:{node.lineno}")
    # A direct os.environ read in the settings is a read too (there should be none, but it must not hide).
    # Importing django-environ is what the settings are for.
    for path in sorted(SETTINGS_DIR.glob("*.py")):
        for access in environment_accesses(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix()):
            if access.variable != "<django-environ>":
                variables.setdefault(access.variable, []).append(f"{access.path}:{access.line}")
    return variables


def env_example_variables() -> set[str]:
    """The variables ``.env.example`` lists, set (``NAME=value``) or commented out (``#NAME=value``)."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def readme_configuration_variables() -> set[str]:
    """The variables in the first column of the table in the README's "Configuration" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Configuration\n(.*?)(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    assert section, "README.md has no '## Configuration' section"
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section.group(1), flags=re.MULTILINE))


DOCUMENTS = {
    ".env.example": (env_example_variables, set()),
    "README.md Configuration": (readme_configuration_variables, READ_BEFORE_SETTINGS),
}


def test_nothing_outside_the_settings_reads_the_environment():
    # given every Python module of the project but the settings
    # when we look for environment lookups
    found = accesses_outside_settings()

    # then each is one of the listed exceptions: the rest read django.conf.settings
    unexpected = [
        f"{access.path}:{access.line} reads {access.variable}"
        for access in found
        if (access.path, access.variable) not in ENVIRONMENT_EXCEPTIONS
    ]
    assert not unexpected, "read it once in config/settings/ and use django.conf.settings:\n" + "\n".join(unexpected)


def test_every_listed_exception_is_still_needed():
    # given the exceptions' list, when compared with what the modules do today
    still_there = {(access.path, access.variable) for access in accesses_outside_settings()}

    # then none is stale: an exception nobody needs any more would let the next read in unnoticed
    stale = sorted(set(ENVIRONMENT_EXCEPTIONS) - still_there)
    assert not stale, f"no longer needed, remove from ENVIRONMENT_EXCEPTIONS: {stale}"


@pytest.mark.parametrize(
    ("source", "variable"),
    [
        ('os.environ.get("NAME", "x")', "NAME"),
        ('os.environ["NAME"]', "NAME"),
        ('os.getenv("NAME")', "NAME"),
        ('"NAME" in os.environ', "NAME"),
        ('os.environ.setdefault("NAME", "x")', "NAME"),
        ("os.environ.get(name)", "<computed name>"),
        ("from os import environ", "<from os import environ>"),
        ("import environ", "<django-environ>"),
    ],
)
def test_the_scan_sees_each_way_of_reading_a_variable(source, variable):
    # when a module reads a variable this way, then the scan reports it
    assert [access.variable for access in environment_accesses(source, "module.py")] == [variable]


@pytest.mark.parametrize(
    "source",
    ['os.environ["NAME"] = "x"', 'subprocess.run(["x"], env={**os.environ, "NAME": "x"})', "dict(os.environ.items())"],
)
def test_writing_or_passing_on_the_environment_is_not_reading_it(source):
    assert environment_accesses(source, "module.py") == []


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_document_lists_every_variable_the_settings_read(document):
    # given the variables the settings read, and those the document lists
    read = variables_the_settings_read()
    listed, _ = DOCUMENTS[document]

    # then a newcomer finds each of them there
    missing = {name: where for name, where in read.items() if name not in listed()}
    assert not missing, f"{document} does not list (read at): {missing}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_document_lists_no_variable_the_settings_ignore(document):
    # given the variables the document lists
    listed, read_before_settings = DOCUMENTS[document]

    # then setting any of them changes something: none is a leftover the settings no longer read
    ignored = listed() - set(variables_the_settings_read()) - read_before_settings
    assert not ignored, f"{document} lists variables no setting reads: {sorted(ignored)}"
