"""Lifecycles: one way to declare an object's states, to move it from one to another and to keep the history.

A model with an explicit state declares it next to its fields::

    class Registration(TimeStampedModel):
        status = models.CharField(choices=Status.choices, ...)

        LIFECYCLE = Lifecycle(
            field="status",
            transitions={Status.PENDING: {Status.CONFIRMED, Status.CANCELLED}, Status.CONFIRMED: set(), ...},
            history="events.RegistrationChange",  # a terreau.core.models.StateChange subclass
            fk="registration",  # its foreign key to the object
        )

and every change of that field goes through :func:`move` (``move(registration, "confirmed", by=user)``),
which refuses a move the table does not list (a ValidationError in French naming the states by their
labels), saves the field (with ``updated_at`` and the fields given in ``also``) and writes the history row
(from_state, to_state, by, note, plus the history model's own fields). :func:`begin` writes the first row of
an object just created. A ``StateChange`` row is never created anywhere else (tests/core/test_states.py checks it).

Callers keep their own rules and side effects: they lock the row, hold the transaction, refuse with a more
specific message when they have one, and set the extra fields (a waiting-list date, an item's site and kit)
through ``also`` so that they are saved with the state, and only when the move is allowed.

Why not django-fsm-2: it declares each transition as a decorated method on the model and keeps no history
(django-fsm-log, another dependency, adds one in its own table through signals); here the transitions are
data shared by the views (the buttons offered), the API's validation and the services, the histories already
exist as one model per lifecycle with their own fields (an item's site and kit, a plan's details), and two
lifecycles record facts without changing state (an incident on an item, a re-planned day). One small module
covers that without new field types, migrations or a dependency.

This module imports no domain app: the history model is named by its "app_label.ModelName".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

NOTE_MAX_LENGTH = 500  # terreau.core.models.StateChange.note


@dataclass(frozen=True)
class Lifecycle:
    """The states of one field of a model: which moves are allowed, and where they are recorded.

    ``transitions`` maps every state to the states it may move to (anything else is refused); with
    ``stay=True`` a move to the current state is allowed too and only records a fact in the history.
    ``refusal`` is the message refusing a move, with %(object)s, %(from)s and %(to)s (the states' labels);
    the states it may move to are added after it.
    """

    field: str
    transitions: Mapping[str, Iterable[str]]
    history: str
    fk: str
    stay: bool = False
    refusal: str = ""

    def __post_init__(self) -> None:
        table = {
            str(state): frozenset(str(t) for t in targets) for state, targets in self.transitions.items()
        }
        unknown = set().union(*table.values()) - set(table)
        if unknown:
            raise ImproperlyConfigured(
                f"Lifecycle of {self.field!r}: target states {sorted(unknown)} are not declared as states."
            )
        object.__setattr__(self, "transitions", MappingProxyType(table))

    def targets(self, state: str) -> frozenset[str]:
        """The states reachable from ``state`` in one move (the current state itself excepted)."""
        return self.transitions.get(str(state), frozenset())

    def history_model(self) -> type[models.Model]:
        return apps.get_model(self.history)


def lifecycle_of(obj: models.Model | type[models.Model]) -> Lifecycle:
    cls = obj if isinstance(obj, type) else type(obj)
    lifecycle = getattr(cls, "LIFECYCLE", None)
    if not isinstance(lifecycle, Lifecycle):
        raise ImproperlyConfigured(f"{cls.__name__} declares no LIFECYCLE.")
    return lifecycle


def state_of(obj: models.Model) -> str:
    return str(getattr(obj, lifecycle_of(obj).field))


def label(obj: models.Model | type[models.Model], state: str) -> str:
    """The human label of ``state`` (from the field's choices; the raw value when it has none)."""
    field = obj._meta.get_field(lifecycle_of(obj).field)
    return str(dict(field.flatchoices).get(str(state), state))


def can_move(obj: models.Model, to: str) -> bool:
    lifecycle = lifecycle_of(obj)
    current = state_of(obj)
    return str(to) in lifecycle.targets(current) or (lifecycle.stay and str(to) == current)


def allowed(obj: models.Model) -> list[str]:
    """The states ``obj`` may move to, in the order of the field's choices."""
    lifecycle = lifecycle_of(obj)
    targets = lifecycle.targets(state_of(obj))
    field = obj._meta.get_field(lifecycle.field)
    ordered = [str(value) for value, _label in field.flatchoices if str(value) in targets]
    return ordered + sorted(targets - set(ordered))


def refusal(obj: models.Model, to: str) -> str:
    """The French message refusing the move of ``obj`` to ``to``, naming the states by their labels."""
    current = state_of(obj)
    template = str(lifecycle_of(obj).refusal) or _(
        "%(model)s « %(object)s » : passage de « %(from)s » à « %(to)s » impossible."
    )
    message = template % {
        "model": capfirst(str(obj._meta.verbose_name)),
        "object": obj,
        "from": label(obj, current),
        "to": label(obj, to),
    }
    targets = allowed(obj)
    if not targets:
        return f"{message} " + _("Aucun changement n'est possible depuis « %(from)s ».") % {
            "from": label(obj, current)
        }
    names = ", ".join(f"« {label(obj, state)} »" for state in targets)
    return f"{message} " + ngettext(
        "Changement possible : %(states)s.", "Changements possibles : %(states)s.", len(targets)
    ) % {"states": names}


def move(
    obj: models.Model,
    to: str,
    *,
    by: Any = None,
    note: str = "",
    also: Mapping[str, Any] | None = None,
    **history_fields: Any,
) -> models.Model:
    """Move ``obj`` to state ``to`` and record it; returns the history row.

    Refuses a move its lifecycle does not list (ValidationError). ``also`` holds other fields of ``obj`` set
    and saved with the state; ``history_fields`` are the history model's own fields. The caller holds the
    transaction (and the row lock when it needs one).
    """
    lifecycle = lifecycle_of(obj)
    to = str(to)
    if not can_move(obj, to):
        raise ValidationError(refusal(obj, to), code="invalid_transition")
    from_state = state_of(obj)
    extra = dict(also or {})
    for name, value in extra.items():
        setattr(obj, name, value)
    setattr(obj, lifecycle.field, to)
    fields = [lifecycle.field, *extra]
    if _has_field(obj, "updated_at") and "updated_at" not in fields:
        fields.append("updated_at")
    obj.save(update_fields=fields)
    return _record(obj, lifecycle, from_state=from_state, to_state=to, by=by, note=note, **history_fields)


def begin(obj: models.Model, *, by: Any = None, note: str = "", **history_fields: Any) -> models.Model:
    """Record the first state of an object just created (from_state empty); returns the history row."""
    lifecycle = lifecycle_of(obj)
    return _record(obj, lifecycle, from_state="", to_state=state_of(obj), by=by, note=note, **history_fields)


def _record(
    obj: models.Model,
    lifecycle: Lifecycle,
    *,
    from_state: str,
    to_state: str,
    by: Any,
    note: str,
    **fields: Any,
) -> models.Model:
    return lifecycle.history_model().objects.create(
        **{lifecycle.fk: obj},
        from_state=from_state,
        to_state=to_state,
        by=by if getattr(by, "is_authenticated", False) else None,
        note=str(note or "")[:NOTE_MAX_LENGTH],
        **fields,
    )


def _has_field(obj: models.Model, name: str) -> bool:
    try:
        obj._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True
