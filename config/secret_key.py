"""Whether a secret key is fit for production: long, varied, and never one that is written down.

A key that appears anywhere in the repository (the development default in ``config/settings/base.py``, a
key in a test or an example) is public, and with it anyone can forge sessions, password-reset links and
signed values. Production refuses to start with such a key.
"""

from pathlib import Path

MINIMUM_LENGTH = 50
MINIMUM_DISTINCT_CHARACTERS = 5
# Where a committed key could hide; binary files, the virtualenv and build output are not looked at.
_SOURCE_SUFFIXES = {".py", ".md", ".txt", ".toml", ".cfg", ".ini", ".env", ".example", ".yml", ".yaml", ".json", ""}
_SKIPPED_DIRECTORIES = {".git", ".venv", "node_modules", "staticfiles", "media", "artifacts", "__pycache__"}


def secret_key_problem(key: str, *, repository: Path) -> str | None:
    """Why ``key`` must not be used in production, or None when it is fit."""
    if len(key) < MINIMUM_LENGTH:
        return f"it is {len(key)} characters long; use at least {MINIMUM_LENGTH}"
    if len(set(key)) < MINIMUM_DISTINCT_CHARACTERS:
        return "it repeats too few characters"
    if key.startswith("django-insecure"):
        return "it is a development key"
    if committed_in := _file_containing(key, repository):
        return f"it is written in the repository ({committed_in}), so it is public"
    return None


def _file_containing(key: str, repository: Path) -> str | None:
    for path in _source_files(repository):
        try:
            if key in path.read_text(encoding="utf-8", errors="ignore"):
                return str(path.relative_to(repository))
        except OSError:
            continue
    return None


def _source_files(directory: Path):
    for entry in directory.iterdir():
        if entry.is_dir():
            if entry.name not in _SKIPPED_DIRECTORIES:
                yield from _source_files(entry)
        elif entry.suffix in _SOURCE_SUFFIXES or entry.name.startswith((".env", "Makefile")):
            yield entry
