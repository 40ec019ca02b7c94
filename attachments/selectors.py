"""Reads of attachments for pages: an owner's panel, a file's owner as people read it."""

from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from attachments.file_types import type_label
from attachments.models import FileAttachment
from attachments.owners import (
    OWNERS,
    VIEW_ATTACHMENT,
    may_add_files,
    may_delete_file,
    may_download,
    owner_type_of,
)
from attachments.validation import upload_rules

PANEL_ROWS = 50


@dataclass(frozen=True)
class AttachmentsPanel:
    owner_type: str
    owner_id: int
    rows: list[FileAttachment]
    total: int
    may_upload: bool
    may_delete: bool
    may_download_private: bool
    # Whether the "see all" link to the files admin list may be offered (its own permission).
    may_list: bool
    accepted_types: tuple[str, ...]
    accepted_labels: tuple[str, ...]
    max_bytes: int


def attachments_of(*, owner_type: str, owner_id: int) -> QuerySet[FileAttachment]:
    """The files of one owner, newest first (the owner index), with their uploaders."""
    return (
        FileAttachment.objects.filter(owner_type=owner_type, owner_id=owner_id)
        .select_related("uploaded_by")
        .order_by("-created_at", "-pk")
    )


def attachments_panel(*, user, owner: Model) -> AttachmentsPanel | None:
    """What the attachments panel of ``owner``'s page shows ``user``: the newest `PANEL_ROWS` files and
    how many there are, and whether the user may upload and download private files. None when ``owner``'s
    model takes no files. Two queries, however many files."""
    owner_type = owner_type_of(type(owner))
    if owner_type is None:
        return None
    rows = list(attachments_of(owner_type=owner_type, owner_id=owner.pk)[: PANEL_ROWS + 1])
    total = len(rows)
    if total > PANEL_ROWS:
        total = FileAttachment.objects.filter(owner_type=owner_type, owner_id=owner.pk).count()
    probe = FileAttachment(owner_type=owner_type, owner_id=owner.pk, is_public=False)
    rules = upload_rules(owner_type)
    return AttachmentsPanel(
        owner_type=owner_type,
        owner_id=owner.pk,
        rows=rows[:PANEL_ROWS],
        total=total,
        may_upload=may_add_files(user, owner),
        may_delete=may_delete_file(user, probe, owner),
        may_download_private=may_download(user, probe, owner),
        may_list=user.has_perm(VIEW_ATTACHMENT),
        accepted_types=rules.mimes,
        accepted_labels=tuple(dict.fromkeys(str(type_label(mime)) for mime in rules.mimes)),
        max_bytes=rules.max_bytes,
    )


def owner_label(owner_type: str, owner: Model | None, owner_id: int) -> str:
    """How a file's owner reads: "Booking #12 · ...", "Amira Haddad (user)", or "booking #12 (deleted)"."""
    registration = OWNERS.get(owner_type)
    kind = registration.label if registration else owner_type
    if owner is None:
        return _("%(kind)s #%(id)s (deleted)") % {"kind": kind, "id": owner_id}
    label = str(owner)
    # Most owners' names say what they are ("Booking #12 · ..."); a person's does not.
    return label if label.lower().startswith(kind.lower()) else f"{label} ({kind})"
