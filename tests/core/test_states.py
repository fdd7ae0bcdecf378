"""Lifecycles (terreau.core.states): the mechanism, every declaration, and the convention that history rows
of state changes are written by it alone."""

from __future__ import annotations

import ast
import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models

from terreau.core import states
from terreau.core.models import Branch, StateChange
from terreau.directory.models import NeedOffer, NeedOfferStatus
from terreau.meetings.models import SpeedMeeting
from terreau.partnerships.models import Partnership, PartnershipStageChange
from terreau.programs.equipment import EquipmentItem, ItemState
from tests.factories import BranchFactory, NeedOfferFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2] / "terreau"
Stage = Partnership.Stage


def _lifecycle_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if isinstance(getattr(m, "LIFECYCLE", None), states.Lifecycle)]


# --- the mechanism ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_move_saves_the_state_and_writes_the_history_row():
    user = UserFactory()
    partnership = Partnership.objects.create(branch=BranchFactory(), title="A × B")
    before = partnership.updated_at - timedelta(days=1)
    Partnership.objects.filter(pk=partnership.pk).update(updated_at=before)
    change = states.move(partnership, Stage.DISCUSSION, by=user, note="Premier rendez-vous")
    assert isinstance(change, PartnershipStageChange)
    partnership.refresh_from_db()
    assert partnership.stage == Stage.DISCUSSION and partnership.updated_at > before
    row = partnership.history.get()
    assert (row.from_state, row.to_state, row.by, row.note) == (
        Stage.CONTACT,
        Stage.DISCUSSION,
        user,
        "Premier rendez-vous",
    )


@pytest.mark.django_db
def test_an_unlisted_move_is_refused_in_french_and_changes_nothing():
    partnership = Partnership.objects.create(branch=BranchFactory(), title="A × B", stage=Stage.ENDED)
    with pytest.raises(ValidationError) as refused:
        states.move(partnership, Stage.DISCUSSION, also={"notes": "jamais écrit"})
    assert refused.value.code == "invalid_transition"
    assert refused.value.messages == [
        "Passage de l'étape « Terminé » à l'étape « Discussion » impossible. Changement possible : « Actif »."
    ]
    assert (partnership.stage, partnership.notes) == (Stage.ENDED, "")  # untouched, even in memory
    partnership.refresh_from_db()
    assert partnership.stage == Stage.ENDED and not partnership.history.exists()


@pytest.mark.django_db
def test_the_default_refusal_names_the_object_and_lists_every_possible_state(monkeypatch):
    monkeypatch.setattr(Partnership, "LIFECYCLE", dataclasses.replace(Partnership.LIFECYCLE, refusal=""))
    partnership = Partnership(title="A × B", stage=Stage.CONTACT)
    assert states.refusal(partnership, Stage.ACTIVE) == (
        "Partenariat « A × B » : passage de « Prise de contact » à « Actif » impossible. "
        "Changements possibles : « Discussion », « Terminé »."
    )
    item = EquipmentItem(serial_number="SN1", make="X", type="tablet", state=ItemState.RETIRED)
    assert states.refusal(item, ItemState.IN_STOCK).endswith(
        "Aucun changement n'est possible depuis « Réformé »."
    )


@pytest.mark.django_db
def test_also_fields_are_saved_with_the_state():
    need = NeedOfferFactory()
    states.move(need, NeedOfferStatus.WITHDRAWN, also={"title": "Retiré par la structure"})
    need.refresh_from_db()
    assert (need.status, need.title) == (NeedOfferStatus.WITHDRAWN, "Retiré par la structure")
    assert need.history.get().to_state == NeedOfferStatus.WITHDRAWN


@pytest.mark.django_db
def test_begin_records_the_first_state_and_an_anonymous_author_is_nobody():
    partnership = Partnership.objects.create(branch=BranchFactory(), title="A × B")
    row = states.begin(partnership, by=AnonymousUser(), note="x" * 600)
    assert (row.from_state, row.to_state, row.by, len(row.note)) == ("", Stage.CONTACT, None, 500)


def test_can_move_and_allowed_follow_the_declaration_in_the_choices_order():
    partnership = Partnership(stage=Stage.DISCUSSION)
    assert states.allowed(partnership) == [Stage.CONTACT, Stage.AGREEMENT, Stage.ENDED]
    assert states.can_move(partnership, Stage.AGREEMENT)
    assert not states.can_move(partnership, Stage.ACTIVE)
    assert not states.can_move(partnership, Stage.DISCUSSION)  # staying needs stay=True
    item = EquipmentItem(state=ItemState.AT_SITE)
    assert states.can_move(item, ItemState.AT_SITE)  # items record facts without changing state
    assert ItemState.AT_SITE not in states.allowed(item)
    assert NeedOffer(status=NeedOfferStatus.OPEN).allowed_statuses() == [
        "fulfilled",
        "in_discussion",
        "withdrawn",
    ]


def test_a_declaration_with_an_undeclared_target_or_a_model_without_one_is_refused():
    with pytest.raises(ImproperlyConfigured):
        states.Lifecycle(field="state", transitions={"a": {"b"}}, history="x.Y", fk="y")
    with pytest.raises(ImproperlyConfigured):
        states.can_move(Branch(), "anything")


# --- every declaration -------------------------------------------------------------------------------


def test_the_lifecycles_are_declared_where_expected():
    names = {m.__name__ for m in _lifecycle_models()}
    assert names >= {
        "Registration",
        "NeedOffer",
        "ContactRequest",
        "Partnership",
        "SpeedMeeting",
        "EquipmentItem",
        "Kit",
    }
    assert SpeedMeeting.LIFECYCLE.stay and EquipmentItem.LIFECYCLE.stay


@pytest.mark.parametrize("model", _lifecycle_models(), ids=lambda m: m.__name__)
def test_each_declaration_covers_its_field_choices_and_names_its_history(model):
    lifecycle = model.LIFECYCLE
    field = model._meta.get_field(lifecycle.field)
    assert set(lifecycle.transitions) == {str(value) for value, _label in field.flatchoices}
    history = lifecycle.history_model()
    assert issubclass(history, StateChange)
    fk = history._meta.get_field(lifecycle.fk)
    assert fk.is_relation and fk.related_model is model


# --- the convention: history rows of state changes are written by terreau.core.states alone ----------

# ProgramRoleChange logs a role granted or revoked (the ProgramRole row is created or deleted): it is not
# the history of a state field, so it is written by terreau.programs.team.
NOT_LIFECYCLES = {"ProgramRoleChange"}


def _history_names() -> set[str]:
    return {m.__name__ for m in apps.get_models() if issubclass(m, StateChange)} - NOT_LIFECYCLES


def _direct_writes(tree: ast.AST, names: set[str]) -> list[tuple[int, str]]:
    """`X.objects.create(...)` (or get_or_create / update_or_create) where X is a history model (a
    StateChange subclass; audit logs such as accounts.AccountChange are not lifecycles)."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in {"create", "get_or_create", "update_or_create"}:
            continue
        manager = node.func.value
        if isinstance(manager, ast.Attribute) and manager.attr == "objects":
            owner = manager.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if name in names:
                found.append((node.lineno, name))
    return found


def test_the_convention_check_finds_a_direct_write():
    tree = ast.parse("RegistrationChange.objects.create(registration=r, to_state='pending')")
    assert _direct_writes(tree, _history_names()) == [(1, "RegistrationChange")]


def test_history_rows_are_written_only_through_terreau_core_states():
    names = _history_names()
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts or path == ROOT / "core" / "states.py":
            continue
        for line, name in _direct_writes(ast.parse(path.read_text(), str(path)), names):
            offenders.append(f"{path.relative_to(ROOT.parent)}:{line} {name}.objects.create")
    assert not offenders, "State changes go through terreau.core.states.move/begin:\n" + "\n".join(offenders)
