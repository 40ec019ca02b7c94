"""The sealed head, kept outside the database (decision 0016).

Seals prove that sealed rows are unchanged, but someone who can write to the database could still cut
the newest rows *and* their seals off the end, or empty both tables: what is left verifies. So after each
sealing run the head (the last seal's id, last row id and HMAC) is written to a storage location of its
own (``STORAGES["audit_anchor"]``: another disk, bucket or host in production), signed with the seal key,
and verification checks that the database still holds that seal unchanged. Every backup carries the
anchor of its moment too (``audit_anchor_document``), so a restored database can be checked the same way.
"""

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from auditing.models import AuditSeal
from auditing.sealing import seal_key

STORAGE_ALIAS = "audit_anchor"


@dataclass(frozen=True)
class Anchor:
    database: str
    seal_id: int
    last_id: int
    mac: str
    key_id: str
    sealed_at: str


class AnchorInvalid(ValueError):
    """The anchor file is unreadable or its signature does not match its content."""


def _name() -> str:
    # One anchor per database: tests, benchmarks and a restore drill may share the location.
    return f"{settings.DATABASES['default']['NAME']}/audit-anchor.json"


def _signature(fields: dict, key: bytes) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def audit_anchor_document(seal: AuditSeal | None = None) -> dict | None:
    """The signed anchor of ``seal``, by default the current sealed head (what ``anchor_write`` stores and a
    backup keeps)."""
    seal = seal or AuditSeal.objects.order_by("-id").first()
    if seal is None:
        return None
    fields = asdict(
        Anchor(
            database=settings.DATABASES["default"]["NAME"],
            seal_id=seal.pk,
            last_id=seal.last_id,
            mac=seal.mac,
            key_id=seal.key_id,
            sealed_at=seal.sealed_at.isoformat(),
        )
    )
    _key_id, key = seal_key(seal.key_id)
    return {**fields, "signature": _signature(fields, key)}


def anchor_write(seal: AuditSeal | None = None) -> Anchor | None:
    """Stores ``seal`` (by default the current sealed head) in the anchor location, unless it already holds
    a later one."""
    document = audit_anchor_document(seal)
    if document is None:
        return None
    try:
        current = anchor_read()
    except AnchorInvalid:
        current = None  # an unreadable anchor is replaced; verification reports it until then
    if current is not None and current.seal_id >= document["seal_id"]:
        return current
    storage = storages[STORAGE_ALIAS]
    storage.save(_name(), ContentFile(json.dumps(document, indent=2).encode()))
    return Anchor(**{k: v for k, v in document.items() if k != "signature"})


def anchor_read() -> Anchor | None:
    """The stored anchor, its signature checked; None when none was written yet."""
    storage = storages[STORAGE_ALIAS]
    if not storage.exists(_name()):
        return None
    try:
        with storage.open(_name()) as file:
            document = json.loads(file.read())
        signature = document.pop("signature")
        anchor = Anchor(**document)
        _key_id, key = seal_key(anchor.key_id)
    except (ValueError, KeyError, TypeError, LookupError) as error:
        raise AnchorInvalid(f"the audit anchor {_name()} cannot be read: {error}") from error
    if not hmac.compare_digest(_signature(asdict(anchor), key), signature):
        raise AnchorInvalid(f"the audit anchor {_name()} does not match its signature")
    return anchor
