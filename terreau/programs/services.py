"""Changes to a program itself: its editable fields, its partners and its documents. Keyword-only,
transactional; bad input raises django.core.exceptions.ValidationError with a French message that views show
as is.

The other changes live by concern: the team's grants in terreau.programs.team, host sites in
terreau.programs.sites, the life of equipment items in terreau.programs.items and kits in
terreau.programs.kits.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from terreau.core.uploads import check_document
from terreau.programs.equipment import ProgramDocument
from terreau.programs.models import Program, ProgramPartner
from terreau.programs.team import _by


def program_update(*, program: Program, data: dict[str, Any], by: Any) -> Program:
    """Save the program's editable fields (name, purpose, period, coordinator, public flag, departments)."""
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if starts and ends and ends < starts:
        raise ValidationError(_("La fin du programme doit venir après son début."))
    with transaction.atomic():
        for name in ("name", "purpose", "starts_on", "ends_on", "coordinator", "is_public"):
            if name in data:
                setattr(program, name, data[name])
        program.save()
        if "departments" in data:
            program.departments.set(data["departments"])
    return program


def partner_set(
    *, program: Program, organisation: Any, roles: list[str], note: str = "", by: Any
) -> ProgramPartner:
    """Add an organisation to the program's partners, or change its roles."""
    unknown = [r for r in roles if r not in ProgramPartner.Role.values]
    if unknown or not roles:
        raise ValidationError(_("Choisissez au moins un rôle parmi ceux proposés."))
    if organisation.branch_id != program.branch_id and organisation.visibility != "public":
        raise ValidationError(_("Cette organisation n'est pas accessible pour ce programme."))
    with transaction.atomic():
        partner, _created = ProgramPartner.objects.update_or_create(
            program=program,
            organisation=organisation,
            defaults={"roles": list(dict.fromkeys(roles)), "note": note},
        )
    return partner


def partner_remove(*, partner: ProgramPartner, by: Any) -> None:
    with transaction.atomic():
        partner.delete()


def document_add(*, program: Program, title: str, upload: Any, by: Any) -> ProgramDocument:
    """Store a document after checking its size, extension and first bytes."""
    name = getattr(upload, "name", "") or ""
    content_type = check_document(upload)
    with transaction.atomic():
        return ProgramDocument.objects.create(
            program=program,
            title=(title or name)[:200],
            file=upload,
            content_type=content_type,
            size=upload.size,
            uploaded_by=_by(by),
        )
