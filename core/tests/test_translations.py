"""The Arabic catalogue is complete, well-formed, current with the code, and served at run time.

* **Complete and well-formed** — ``locale/ar/LC_MESSAGES/django.po`` is parsed here (a small parser; no
  third-party package): no entry may have an empty ``msgstr`` (for a plural entry, every one of Arabic's
  six forms ``msgstr[0..5]``), none may carry a ``#, fuzzy`` flag (the header included), the header
  declares Arabic's six plural forms, and every translation keeps the placeholders (``%(name)s``, ``%s``,
  ``{}``) and HTML tags of its English source. ``msgfmt --check-format`` must accept the file silently.
* **Current with the code** — running ``makemessages`` must not add a msgid the catalogue lacks. The
  command rewrites the catalogue it finds in place, so it runs on a scratch copy: the files it scans
  (``.py``, ``.html``, ``.txt`` and ``.js``, outside the directories the project's own ``makemessages``
  call ignores) are copied into a temporary directory together with the catalogue, and ``manage.py
  makemessages -l ar`` runs there (its working directory), for both the ``django`` and ``djangojs``
  domains. Its ``locale`` folder is the copy's, so the project's files are never touched. Whatever
  msgid the regenerated catalogue holds that the project's does not is a string someone marked for
  translation and nobody translated: run ``makemessages`` (command in the failure message) and translate
  it. This takes a few seconds and needs only gettext's tools, no database or other service.
* **Served** — under ``translation.override("ar")`` a handful of the shell's strings come back in Arabic,
  read from the compiled ``.mo`` that ``make messages`` (part of ``make test``) builds.
"""

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
LOCALE_DIR = ROOT / "locale"
PO_FILE = LOCALE_DIR / "ar" / "LC_MESSAGES" / "django.po"
NPLURALS = 6
PLURAL_FORMS = (
    "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 && n%100<=99 ? 4 : 5;"
)
# The directories the project's makemessages call ignores (besides hidden ones, which Django always skips).
IGNORED_DIRECTORIES = (".venv", "bench", "artifacts", "node_modules")
SCANNED_SUFFIXES = {".py", ".html", ".txt", ".js"}
MAKEMESSAGES = f"manage.py makemessages -l ar {' '.join(f'--ignore={d}' for d in IGNORED_DIRECTORIES)} --no-obsolete"
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdrif]|%[sdrif]|\{[A-Za-z0-9_]*\}|</?[A-Za-z][^>]*>")


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


def _unescape(quoted: str) -> str:
    """The value of one C-style quoted string of a .po file."""
    body = quoted.strip()
    assert body.startswith('"') and body.endswith('"'), f"not a quoted string: {quoted!r}"
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), body[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") included; obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] = ("", None)  # the field the next continuation line extends
    flags: set[str] = set()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            entry = None  # comments precede the entry they describe
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith('"'):
            assert entry is not None, f"{path}:{number}: a string outside an entry"
            name, index = target
        else:
            keyword, _, line = line.partition(" ")
            plural_form = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            name, index = ("msgstr", int(plural_form.group(1))) if plural_form else (keyword, None)
            assert name in ("msgctxt", "msgid", "msgid_plural", "msgstr"), f"{path}:{number}: {raw!r}"
            starts_entry = name == "msgctxt" or (name == "msgid" and target[0] != "msgctxt")
            if entry is None or (starts_entry and target[0] == "msgstr"):
                assert starts_entry, f"{path}:{number}: {keyword} outside an entry"
                entry = Entry(line=number, flags=flags)
                entries.append(entry)
                flags = set()
            target = (name, index)
            if index is not None:
                entry.msgstr_plural.setdefault(index, "")
            else:
                setattr(entry, name, "")
        text = _unescape(line)
        if index is not None:
            entry.msgstr_plural[index] += text
        else:
            setattr(entry, name, getattr(entry, name) + text)
    return entries


def _problems(entries: list[Entry]) -> list[str]:
    problems = []
    for e in entries:
        where = f"line {e.line}: {e.msgid!r}"
        if "fuzzy" in e.flags:
            problems.append(f"{where} is marked fuzzy")
        if e.msgid == "" and e.msgctxt is None:
            continue
        if e.msgid_plural is not None:
            forms = [e.msgstr_plural.get(i, "") for i in range(NPLURALS)]
            if not all(forms):
                missing = [i for i, form in enumerate(forms) if not form]
                problems.append(f"{where} has empty plural forms msgstr{missing}")
            if set(e.msgstr_plural) - set(range(NPLURALS)):
                problems.append(f"{where} has plural forms beyond msgstr[{NPLURALS - 1}]")
            allowed = set(PLACEHOLDER.findall(e.msgid)) | set(PLACEHOLDER.findall(e.msgid_plural))
            tags = {p for p in allowed if p.startswith("<")}
            for i, form in enumerate(forms):
                used = set(PLACEHOLDER.findall(form))
                if form and (used - allowed or tags - used):
                    problems.append(f"{where} msgstr[{i}] does not keep the placeholders and tags of its source")
        else:
            if not e.msgstr:
                problems.append(f"{where} is untranslated")
            elif sorted(PLACEHOLDER.findall(e.msgstr)) != sorted(PLACEHOLDER.findall(e.msgid)):
                problems.append(f"{where} does not keep the placeholders and tags of its source: {e.msgstr!r}")
    return problems


def test_catalogue_is_fully_translated_and_well_formed():
    assert PO_FILE.exists(), f"{PO_FILE} is missing: run {MAKEMESSAGES} and translate it"
    entries = parse_po(PO_FILE)
    headers = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert len(headers) == 1, "the catalogue must have exactly one header entry"
    header = headers[0].msgstr
    assert "Language: ar\n" in header
    plural_forms = re.search(r"^Plural-Forms:(.*)$", header, flags=re.MULTILINE)
    assert plural_forms and plural_forms.group(1).strip() == PLURAL_FORMS, "the header must declare Arabic's plurals"
    assert len(entries) > 100, "the catalogue holds suspiciously few entries"
    keys = [e.key for e in entries]
    assert len(keys) == len(set(keys)), "the catalogue repeats an entry"
    problems = _problems(entries)
    assert not problems, f"{len(problems)} problem(s) in {PO_FILE}:\n" + "\n".join(problems)


def test_catalogue_passes_msgfmt_check_format():
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext's msgfmt is not installed (apt-get install gettext)"
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [msgfmt, "--check-format", "--statistics", "-o", os.devnull, str(PO_FILE)],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    assert result.returncode == 0, result.stderr
    # --statistics reports only "N translated messages." when nothing is fuzzy or untranslated
    assert re.fullmatch(r"\d+ translated messages?\.\n?", result.stderr), result.stderr


def _scratch_copy(destination: Path) -> None:
    """The files makemessages would scan, and the catalogues, copied under ``destination``."""
    skipped_roots = {Path(p).resolve() for p in (settings.MEDIA_ROOT, settings.STATIC_ROOT) if p}
    for dirpath, dirnames, filenames in os.walk(ROOT):
        current = Path(dirpath)
        dirnames[:] = [
            d
            for d in dirnames
            if not d.startswith(".")
            and d not in IGNORED_DIRECTORIES
            and d not in ("locale", "__pycache__")
            and (current / d).resolve() not in skipped_roots
        ]
        for name in filenames:
            source = current / name
            if source.suffix in SCANNED_SUFFIXES and not name.startswith(".") and source.is_file():
                target = destination / source.relative_to(ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
    shutil.copytree(LOCALE_DIR, destination / "locale")


def test_makemessages_would_add_nothing(tmp_path):
    scratch = tmp_path / "project"
    scratch.mkdir()
    _scratch_copy(scratch)
    domains = ("django", "djangojs")
    before = {
        domain: {e.key for e in parse_po(p)}
        if (p := LOCALE_DIR / "ar" / "LC_MESSAGES" / f"{domain}.po").exists()
        else set()
        for domain in domains
    }
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE or "config.settings.test",
        "LC_ALL": "C.UTF-8",
    }
    for domain in domains:
        result = subprocess.run(  # noqa: S603 (fixed arguments)
            [sys.executable, str(ROOT / "manage.py"), "makemessages", "-l", "ar", "-d", domain, "--no-obsolete"]
            + [f"--ignore={d}" for d in IGNORED_DIRECTORIES],
            cwd=scratch,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    missing = []
    for domain in domains:
        regenerated = scratch / "locale" / "ar" / "LC_MESSAGES" / f"{domain}.po"
        after = {e.key for e in parse_po(regenerated)} if regenerated.exists() else set()
        missing += [
            f"{domain}: {msgid!r}" + (f" (context {ctx!r})" if ctx else "")
            for ctx, msgid in sorted(after - before[domain], key=lambda k: (k[0] or "", k[1]))
        ]
    assert not missing, (
        f"{len(missing)} string(s) marked for translation are not in the Arabic catalogue; run "
        f"`{MAKEMESSAGES}` (and `-d djangojs` for JavaScript), translate them and compile:\n" + "\n".join(missing)
    )


def test_shell_strings_are_served_in_arabic():
    expected = {
        "Sign in": "تسجيل الدخول",
        "Sign out": "تسجيل الخروج",
        "Overview": "نظرة عامة",
        "Audit trail": "سجل التدقيق",
        "System log": "سجل النظام",
        "Roles": "الأدوار",
        "Payments": "الدفعات",
    }
    with translation.override("ar"):
        served = {english: translation.gettext(english) for english in expected}
        plural = translation.ngettext("%(counter)s result", "%(counter)s results", 2)
        assert translation.get_language_bidi()
    hint = "is the catalogue compiled? run `make messages` (manage.py compilemessages)"
    assert served == expected, hint
    assert plural == "نتيجتان", hint
