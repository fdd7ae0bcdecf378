"""E-mails built from templates: the one path that renders them.

An e-mail named ``<app>/emails/<name>`` is made of ``<name>_subject.txt`` (its subject), ``<name>.txt`` (its
plain-text body) and, when the file exists, ``<name>.html`` (an HTML alternative). Plain text is rendered
without HTML autoescaping, so "Sèvre & Marais" or "l'atelier" reach the reader as typed, never as
"Sèvre &amp; Marais" or "l&#x27;atelier"; the subject is folded onto one line (a mail header holds no line
break); the HTML alternative keeps Django's autoescaping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, Engine, TemplateDoesNotExist
from django.template.loader import get_template


class RenderedEmail(NamedTuple):
    subject: str
    text: str
    html: str | None


def render_text(template_name: str, context: Mapping[str, Any]) -> str:
    """A plain-text template rendered with HTML autoescaping off (its ``{% include %}`` too)."""
    template = Engine.get_default().get_template(template_name)
    return template.render(Context(dict(context), autoescape=False))


def render_email(template_base: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Subject (one line), plain-text body and HTML body (None without ``<template_base>.html``)."""
    subject = " ".join(render_text(f"{template_base}_subject.txt", context).split())
    text = render_text(f"{template_base}.txt", context)
    try:
        html_template = get_template(f"{template_base}.html")
    except TemplateDoesNotExist:
        html = None
    else:
        html = html_template.render(dict(context))
    return RenderedEmail(subject, text, html)


def email_message(
    template_base: str,
    context: Mapping[str, Any],
    *,
    to: Sequence[str],
    from_email: str | None = None,
) -> EmailMultiAlternatives:
    """The message ready to send (or to attach files to), with its HTML alternative when there is one."""
    subject, text, html = render_email(template_base, context)
    message = EmailMultiAlternatives(subject, text, from_email or settings.DEFAULT_FROM_EMAIL, list(to))
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message
