"""Which row each owner type is, and which permissions govern its files: the one registry every upload,
download, panel and sweep reads.

A file belongs to its owner: whoever may change the owner may add files to it and delete them, whoever
may view the owner may see its files and download them. Both are asked with the owner as the object, so a
per-object grant (guardian; decision 0015) is enough: a consultant holding "change" on their own report
uploads to it, and not to another consultant's. Private files also need
``attachments.download_private_fileattachment``; adding files needs ``attachments.add_fileattachment``
and deleting them ``attachments.delete_fileattachment`` (decision 0019).
"""

from dataclasses import dataclass
from typing import Protocol, cast

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from attachments.models import FileAttachment, FileOwnerType

ADD_ATTACHMENT = "attachments.add_fileattachment"
DELETE_ATTACHMENT = "attachments.delete_fileattachment"
VIEW_ATTACHMENT = "attachments.view_fileattachment"
DOWNLOAD_PRIVATE_ATTACHMENT = "attachments.download_private_fileattachment"


class OwnerPolicy(Protocol):
    """An owning app's own answer to who may see, add and delete its rows' files, where permissions on
    the row are not the whole story (a ticket's requester holds none; an internal note's files are for
    the desk only). Registered by dotted path; each method gets the owner row."""

    def may_see(self, user, owner: Model) -> bool: ...

    def may_add(self, user, owner: Model) -> bool: ...

    def may_delete(self, user, owner: Model) -> bool: ...


@dataclass(frozen=True)
class AttachmentOwner:
    """An owner type: the model its ids point into, and optionally the owning app's policy (a dotted
    path to an ``OwnerPolicy``) that replaces the permission checks on the owner row."""

    owner_type: str
    model_label: str
    policy_path: str = ""

    @property
    def policy(self) -> OwnerPolicy | None:
        return import_string(self.policy_path) if self.policy_path else None

    @property
    def model(self) -> type[Model]:
        return apps.get_model(self.model_label)

    @property
    def change_permission(self) -> str:
        """Needed on the owner to add files to it or delete them."""
        opts = self.model._meta
        return f"{opts.app_label}.change_{opts.model_name}"

    @property
    def view_permission(self) -> str:
        """Needed on the owner to see its files and download them."""
        opts = self.model._meta
        return f"{opts.app_label}.view_{opts.model_name}"

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)


# By label, not by class: the owning apps sit beside attachments and some (support) will attach files
# themselves; neither side imports the other's models for this.
OWNERS: dict[str, AttachmentOwner] = {
    owner.owner_type: owner
    for owner in (
        AttachmentOwner(FileOwnerType.USER, "accounts.User"),
        AttachmentOwner(FileOwnerType.BOOKING, "consultants.Booking"),
        AttachmentOwner(FileOwnerType.REPORT, "consultants.Report"),
        AttachmentOwner(FileOwnerType.FEASIBILITY_STUDY, "consultants.FeasibilityStudy"),
        AttachmentOwner(FileOwnerType.ARTICLE, "consultants.Article"),
        AttachmentOwner(FileOwnerType.TICKET, "support.SupportTicket", "support.access.TICKET_FILES"),
        AttachmentOwner(FileOwnerType.MESSAGE, "consultants.Message"),
        AttachmentOwner(FileOwnerType.TICKET_COMMENT, "support.TicketComment", "support.access.COMMENT_FILES"),
    )
}


def owner_registration(owner_type: str) -> AttachmentOwner:
    """The registry's entry for ``owner_type``; ``ValidationError`` for a type it does not know."""
    try:
        return OWNERS[owner_type]
    except (KeyError, TypeError):
        raise ValidationError(_("Files cannot be attached to that kind of record."), code="owner_type") from None


def owner_type_of(model: type[Model]) -> str | None:
    """The owner type whose rows are ``model``'s, or None when its rows take no files."""
    label = model._meta.label_lower
    return next((o.owner_type for o in OWNERS.values() if o.model_label.lower() == label), None)


def owner_row(owner_type: str, owner_id: object) -> Model:
    """The row (``owner_type``, ``owner_id``) names; ``ValidationError`` when there is none (or the id is
    not one: text, a negative or absurdly large number)."""
    registration = owner_registration(owner_type)
    try:
        pk = int(str(owner_id))
    except ValueError:
        pk = -1
    if not 0 < pk < 2**63:
        raise ValidationError(_("There is no such %(owner)s.") % {"owner": registration.label}, code="owner")
    row = registration.model._default_manager.filter(pk=pk).first()
    if row is None:
        raise ValidationError(_("There is no such %(owner)s.") % {"owner": registration.label}, code="owner")
    return row


def may_add_files(user, owner: Model) -> bool:
    registration = OWNERS[owner_type_of(type(owner)) or ""]
    if not user.has_perm(ADD_ATTACHMENT):
        return False
    if policy := registration.policy:
        return policy.may_add(user, owner)
    return user.has_perm(registration.change_permission, owner)


def may_delete_file(user, attachment: FileAttachment, owner: Model | None) -> bool:
    """Deleting a file needs the delete permission and the right to change its owner; a file whose owner
    is gone, also the attachments' view permission (staff tidying up, as for downloading it)."""
    if not user.has_perm(DELETE_ATTACHMENT):
        return False
    if owner is None:
        return user.has_perm(VIEW_ATTACHMENT)
    registration = OWNERS[attachment.owner_type]
    if policy := registration.policy:
        return policy.may_delete(user, owner)
    return user.has_perm(registration.change_permission, owner)


def may_see_files(user, owner: Model) -> bool:
    registration = OWNERS[owner_type_of(type(owner)) or ""]
    if policy := registration.policy:
        return policy.may_see(user, owner)
    return user.has_perm(registration.view_permission, owner)


_FETCH = object()  # `may_download`'s owner, not looked up yet


def may_download(user, attachment: FileAttachment, owner: Model | None | object = _FETCH) -> bool:
    """A public file: who may view its owner (everyone else reads it at its storage URL, a random name).
    A private one: who may view its owner and holds the private-download permission.

    A role's grant covers every record of its model (``accounts.backends``), so the owner is read only
    for someone who may view some records of its model and not others (per-object grants): a download
    by staff costs no query for the owner; an owner type with a policy always asks it, with the owner.
    A private file whose owner is gone: those with the role-wide grant, or holders of the attachments'
    view permission (staff tidying up). ``owner`` may be given when the caller has it (None: gone)."""
    if not user.is_authenticated:
        return False
    if not attachment.is_public and not user.has_perm(DOWNLOAD_PRIVATE_ATTACHMENT):
        return False
    registration = OWNERS[attachment.owner_type]
    policy = registration.policy
    if policy is None and user.has_perm(registration.view_permission):
        return True
    if owner is _FETCH:
        owner = owner_of(attachment)
    if owner is None:
        return user.has_perm(VIEW_ATTACHMENT)
    if policy is not None:
        return policy.may_see(user, cast(Model, owner))
    return user.has_perm(registration.view_permission, owner)


def owner_of(attachment: FileAttachment) -> Model | None:
    """The row ``attachment`` belongs to, or None when it is gone."""
    registration = OWNERS.get(attachment.owner_type)
    if registration is None:
        return None
    return registration.model._default_manager.filter(pk=attachment.owner_id).order_by().first()
