"""The project's named URL patterns, for the tests of every app (imports no app: ``core`` is the ground)."""

from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver


def named_patterns(resolver: URLResolver | None = None, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every named URL pattern as (qualified name, pattern), walking included resolvers."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry
