"""The one error of the demo loaders (its own module so that every loader can raise it without a circle)."""

from __future__ import annotations


class DemoError(Exception):
    """The demo cannot be loaded; the message is in French, for the person running the command."""
