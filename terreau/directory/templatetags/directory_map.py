"""The map page's two department lists (about a hundred each): the SVG links and the table's rows, written in
Python. A template loop spends a few milliseconds of CPU per page on them (an {% if %} and half a dozen escaped
variables per department, the long SVG outlines escaped again on every request); these tags write the same
HTML, and escape each outline once per process."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@lru_cache(maxsize=256)
def _outline(path: str) -> str:
    return conditional_escape(path)


@register.simple_tag
def department_shape_links(departments: Iterable[Mapping]) -> SafeString:
    """Each department's outline as a link: ``<a ...><title>label</title><path d="..."/></a>``."""
    parts = []
    for d in departments:
        selected = d["selected"]
        label = conditional_escape(d["label"])
        extra_class = " is-selected" if selected else ""
        current = ' aria-current="true"' if selected else ""
        parts.append(
            f'<a href="{conditional_escape(d["href"])}" class="dept dept-{conditional_escape(d["level"])}'
            f'{extra_class}" data-department="{conditional_escape(d["code"])}" '
            f'aria-label="{label}"{current}><title>{label}</title>'
            f'<path d="{_outline(d["path"])}"/></a>'
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped


# The rows as the template's loop wrote them, indentation included.
_ROW = (
    "\n          <tr{tr_class}>\n"
    '            <th scope="row"><a href="{href}"{current}>{name} ({code})</a></th>\n'
    '            <td class="num">{count}</td>\n'
    "          </tr>\n          "
)


@register.simple_tag
def department_table_rows(rows: Iterable[Mapping]) -> SafeString:
    """The table's rows: department (a link) and its count of organisations."""
    return mark_safe(  # noqa: S308 - every value is escaped
        "".join(
            _ROW.format(
                tr_class=' class="is-selected"' if row["selected"] else "",
                href=conditional_escape(row["href"]),
                current=' aria-current="true"' if row["selected"] else "",
                name=conditional_escape(row["name"]),
                code=conditional_escape(row["code"]),
                count=conditional_escape(intcomma(row["count"])),
            )
            for row in rows
        )
    )
