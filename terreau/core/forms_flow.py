"""The shared flow of a posted form in the pages: refused change, invalid forms, the service's French
ValidationError, success message and redirect, written once for every app's views."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm, BaseFormSet
from django.http import HttpRequest, HttpResponse

T = TypeVar("T")


def show_error(request: HttpRequest, exc: ValidationError) -> None:
    """A service's ValidationError as one error message on the next page."""
    messages.error(request, " ".join(exc.messages))


def submit(
    request: HttpRequest,
    *bound: BaseForm | BaseFormSet,
    run: Callable[[], T],
    success: str | Callable[[T], str] | None,
    then: Callable[[T], HttpResponse] | None = None,
    allowed: bool = True,
    invalid: str | None = None,
) -> HttpResponse | None:
    """The shared flow of a posted form: refuse (403) a user who may not change (`allowed`); once every bound
    form is valid, call the service (`run`): its ValidationError becomes an error message; on success, show
    `success` (a text, or made from the service's result) and answer `then(result)`, usually a redirect.

    Returns None when the view should show its page again (GET, invalid forms, refused change). Without
    `then` the form was posted from another page, which cannot show the form's errors: they become an error
    message (`invalid`, or the form's own messages) and the view always redirects back.
    """
    if request.method != "POST":
        return None
    if not allowed:
        raise PermissionDenied
    if not all(form.is_valid() for form in bound):
        if then is None:
            errors = (e for form in bound for errs in form.errors.values() for e in errs)
            messages.error(request, invalid or " ".join(errors))
        return None
    try:
        result = run()
    except ValidationError as exc:
        show_error(request, exc)
        return None
    if success is not None:
        messages.success(request, success if isinstance(success, str) else success(result))
    return then(result) if then is not None else None
