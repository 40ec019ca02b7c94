"""``{% attachments_panel %}``: the files of the record an admin change page shows, when its model takes
files (``attachments.owners``) and the user may see them. Used by ``templates/admin/change_form.html``, so
every owner model's page has the panel without its admin knowing."""

from django import template

from attachments.file_types import type_label
from attachments.owners import may_see_files, owner_type_of
from attachments.selectors import attachments_panel as panel_for

register = template.Library()


@register.inclusion_tag("attachments/panel.html", takes_context=True)
def attachments_panel(context) -> dict:
    owner = context.get("original")
    request = context.get("request")
    if owner is None or request is None or owner.pk is None or owner_type_of(type(owner)) is None:
        return {"panel": None}
    if not may_see_files(request.user, owner):
        return {"panel": None}
    return {
        "panel": panel_for(user=request.user, owner=owner),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def file_type_label(attachment) -> str:
    """ "PDF document" for application/pdf; the MIME type for one we do not name."""
    return str(type_label(attachment.content_type))


@register.filter
def file_extension(attachment) -> str:
    """The original name's extension, upper case and short ("PDF"), for a file without a preview."""
    extension = attachment.original_name.rpartition(".")[2] if "." in attachment.original_name else ""
    return extension[:4].upper() or "FILE"
