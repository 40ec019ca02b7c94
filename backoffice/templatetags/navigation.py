"""``{% nav_areas_html nav_areas nav_location %}``: the sidebar's areas and links (templates/admin/nav_sidebar.html).

Drawn here with plain string formatting rather than template loops or ``format_html``: the sidebar is on
every page, and its forty-odd links cost the template engine about a millisecond per page. Every value is
escaped (``html.escape``, quotes included); the labels are plain strings already
(``backoffice.navigation``). The markup is the admin's (module tables, ``th[scope=row]`` links) so its
CSS and quick filter apply.
"""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def nav_areas_html(areas: list[dict], location: dict | None) -> SafeString:
    if not areas:
        return mark_safe(  # noqa: S308  # the message is escaped
            f'<p class="shell-nav-empty">{escape(gettext("Nothing to open yet: your account has no role."))}</p>'
        )
    current_area = location["area"] if location else None
    html = []
    for area in areas:
        current = " current-app" if area is current_area else ""
        rows = "".join(_row(link) for link in area["links"])
        html.append(
            f'<div class="module shell-area{current}"><table>'
            f'<caption><span class="section">{escape(str(area["title"]))}</span></caption>{rows}</table></div>'
        )
    return mark_safe("\n".join(html))  # noqa: S308  # every value above is escaped


def _row(link: dict) -> str:
    current = link["current"]
    add = "<td></td>"
    if link["add_url"]:
        add_label = escape(str(link["add_label"]))
        add = (
            f'<td><a href="{escape(link["add_url"])}" class="addlink" title="{add_label}">'
            f'<span class="visually-hidden">{add_label}</span></a></td>'
        )
    row_class = ' class="current-model"' if current else ""
    aria_current = ' aria-current="page"' if current else ""
    return (
        f'<tr{row_class}><th scope="row"><a href="{escape(link["url"])}"{aria_current}>'
        f"{escape(str(link['label']))}</a></th>{add}</tr>"
    )
