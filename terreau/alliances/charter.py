"""The collective's charter: versions, approvals by each partner, and the launch of the program.

Keyword-only, transactional; bad input raises a ValidationError with a French message. The views check who
acts (the group's leads and the branch's staff write and submit; a partner's members approve; the branch's
staff launch the program); these functions check the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from terreau.alliances.charter_models import Charter, CharterApproval, CharterPartner, CharterVersion
from terreau.alliances.group_models import WorkingGroup
from terreau.alliances.groups import _active, _user
from terreau.alliances.models import PUBLICS
from terreau.core import states
from terreau.directory.models import Membership, Organisation
from terreau.notifications.services import notify
from terreau.programs import services as program_services
from terreau.programs.models import Program, ProgramPartner

MAX_BUDGET_LINES = 40
TEXT_FIELDS = {"purpose": 5000, "publics_details": 2000, "resources": 4000, "governance": 4000}


def parse_amount(raw: Any) -> Decimal:
    """A French amount ("1 234,50", "4500", "4 500 €") as a Decimal; ValidationError when it is not one."""
    text = str(raw or "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "")
    text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Montant illisible : « %(raw)s ».") % {"raw": raw}) from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e10"):
        raise ValidationError(_("Montant invalide : « %(raw)s ».") % {"raw": raw})
    return value.quantize(Decimal("0.01"))


def _budget(lines: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    out = []
    for line in lines:
        label = str(line.get("label") or "").strip()
        amount = str(line.get("amount") or "").strip()
        source = str(line.get("source") or "").strip()
        if not (label or amount or source):
            continue
        if not label:
            raise ValidationError(_("Chaque ligne du budget a besoin d'un intitulé."))
        out.append({"label": label[:200], "amount": str(parse_amount(amount)), "source": source[:200]})
    if len(out) > MAX_BUDGET_LINES:
        raise ValidationError(_("Le budget compte %(max)s lignes au plus.") % {"max": MAX_BUDGET_LINES})
    return out


def _partners(group: WorkingGroup, partners: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out, seen = [], set()
    for row in partners:
        organisation: Organisation = row["organisation"]
        roles = list(dict.fromkeys(row.get("roles") or []))
        if organisation.pk in seen:
            raise ValidationError(
                _("« %(org)s » est nommé deux fois parmi les partenaires.") % {"org": organisation}
            )
        if organisation.branch_id != group.branch_id and organisation.visibility != "public":
            raise ValidationError(
                _("« %(org)s » n'est pas accessible pour cette charte.") % {"org": organisation}
            )
        if not roles or any(r not in ProgramPartner.Role.values for r in roles):
            raise ValidationError(
                _("Choisissez au moins un rôle, parmi ceux proposés, pour « %(org)s ».")
                % {"org": organisation}
            )
        seen.add(organisation.pk)
        out.append({"organisation": organisation, "roles": roles, "note": str(row.get("note") or "")[:300]})
    return out


def _fill(version: CharterVersion, group: WorkingGroup, data: Mapping[str, Any], partners: Any) -> None:
    """Write the version's content (fields, territory, key issues, partners) after checking it all."""
    purpose = str(data.get("purpose") or "").strip()
    if not purpose:
        raise ValidationError(_("Décrivez l'objet du projet collectif."))
    for name, limit in TEXT_FIELDS.items():
        if len(str(data.get(name) or "")) > limit:
            raise ValidationError(_("Texte trop long : %(max)s caractères au maximum.") % {"max": limit})
    publics = list(dict.fromkeys(data.get("publics") or []))
    if any(p not in PUBLICS for p in publics):
        raise ValidationError(_("Choisissez les publics parmi ceux proposés."))
    key_issues = list(data.get("key_issues") or [])
    allowed = set(group.key_issues.values_list("pk", flat=True))
    if any(issue.pk not in allowed for issue in key_issues):
        raise ValidationError(_("Choisissez des enjeux clés sur lesquels le groupe travaille."))
    budget = _budget(data.get("budget_lines") or [])
    rows = _partners(group, partners)
    for name in TEXT_FIELDS:
        setattr(version, name, str(data.get(name) or "").strip())
    version.publics, version.budget_lines, version.starts_on = publics, budget, data.get("starts_on")
    version.save()
    version.departments.set(data.get("departments") or [])
    version.epcis.set(data.get("epcis") or [])
    version.communes.set(data.get("communes") or [])
    version.key_issues.set(key_issues)
    version.partners.all().delete()
    CharterPartner.objects.bulk_create([CharterPartner(version=version, **row) for row in rows])


@transaction.atomic
def charter_create(*, group: WorkingGroup, title: str, by: Any, is_demo: bool = False) -> Charter:
    _active(group)
    title = str(title or "").strip()
    if not title:
        raise ValidationError(_("Donnez un titre au projet collectif."))
    if Charter.objects.filter(group=group).exists():
        raise ValidationError(_("Ce groupe a déjà une charte."))
    return Charter.objects.create(group=group, title=title[:200], is_demo=is_demo)


@transaction.atomic
def charter_version_create(
    *, charter: Charter, data: Mapping[str, Any], partners: Iterable[Mapping[str, Any]], by: Any
) -> CharterVersion:
    """A new draft version; the previous ones are superseded (their approvals stay with them)."""
    charter = Charter.objects.select_for_update(of=("self",)).select_related("group").get(pk=charter.pk)
    _active(charter.group)
    if charter.versions.filter(state=CharterVersion.State.DRAFT).exists():
        raise ValidationError(_("Une version en brouillon existe déjà : modifiez-la plutôt."))
    number = (charter.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = CharterVersion(charter=charter, number=number, written_by=_user(by))
    _fill(version, charter.group, data, partners)
    states.begin(version, by=_user(by))
    for older in charter.versions.exclude(pk=version.pk).exclude(state=CharterVersion.State.SUPERSEDED):
        states.move(
            older, CharterVersion.State.SUPERSEDED, by=_user(by), note=_("Version %(n)s") % {"n": number}
        )
    return version


@transaction.atomic
def charter_version_update(
    *, version: CharterVersion, data: Mapping[str, Any], partners: Iterable[Mapping[str, Any]], by: Any
) -> CharterVersion:
    version = (
        CharterVersion.objects.select_for_update(of=("self",))
        .select_related("charter__group")
        .get(pk=version.pk)
    )
    _active(version.charter.group)
    if version.frozen:
        raise ValidationError(
            _(
                "Cette version a été soumise à l'approbation : elle ne change plus. Créez une nouvelle version."
            )
        )
    _fill(version, version.charter.group, data, partners)
    return version


def _partner_people(version: CharterVersion) -> list[Any]:
    orgs = version.partners.values("organisation")
    return [
        m.user
        for m in Membership.objects.filter(organisation__in=orgs, user__is_active=True).select_related("user")
    ]


@transaction.atomic
def charter_submit(*, version: CharterVersion, by: Any) -> CharterVersion:
    """Freeze the draft and ask each partner to approve it."""
    version = (
        CharterVersion.objects.select_for_update(of=("self",))
        .select_related("charter__group")
        .get(pk=version.pk)
    )
    _active(version.charter.group)
    if version.state != CharterVersion.State.DRAFT:
        raise ValidationError(_("Seule une version en brouillon peut être soumise à l'approbation."))
    if not version.partners.exists():
        raise ValidationError(_("Nommez au moins un partenaire avant de soumettre la charte."))
    states.move(version, CharterVersion.State.SUBMITTED, by=_user(by), also={"submitted_at": timezone.now()})
    notify(
        kind="alliances.charter",
        recipients=_partner_people(version),
        template="alliances/emails/charter_submitted",
        context={"version": version, "charter": version.charter},
        link=reverse("alliances:charter", kwargs={"pk": version.charter_id}),
    )
    return version


def missing_approvals(version: CharterVersion) -> list[Organisation]:
    approved = version.approvals.values("organisation")
    return [
        p.organisation
        for p in version.partners.exclude(organisation__in=approved).select_related("organisation")
    ]


@transaction.atomic
def charter_approve(*, version: CharterVersion, organisation: Organisation, by: Any) -> CharterApproval:
    """``organisation`` approves the submitted version, through ``by``, one of its members. The version is
    approved once every partner has."""
    version = (
        CharterVersion.objects.select_for_update(of=("self",))
        .select_related("charter__group")
        .get(pk=version.pk)
    )
    if version.state != CharterVersion.State.SUBMITTED:
        raise ValidationError(
            _("Cette version n'est pas soumise à l'approbation (état : « %(state)s »).")
            % {"state": version.get_state_display()}
        )
    if not version.partners.filter(organisation=organisation).exists():
        raise ValidationError(
            _(
                "« %(org)s » n'est pas partenaire de cette version de la charte : elle ne peut pas l'approuver."
            )
            % {"org": organisation}
        )
    if _user(by) is None or not Membership.objects.filter(organisation=organisation, user=by).exists():
        raise ValidationError(
            _("Seul un membre de « %(org)s » peut approuver en son nom.") % {"org": organisation}
        )
    if version.approvals.filter(organisation=organisation).exists():
        raise ValidationError(_("« %(org)s » a déjà approuvé cette version.") % {"org": organisation})
    approval = CharterApproval.objects.create(version=version, organisation=organisation, approved_by=by)
    if not missing_approvals(version):
        states.move(version, CharterVersion.State.APPROVED, by=by)
        notify(
            kind="alliances.charter",
            recipients=_partner_people(version),
            template="alliances/emails/charter_approved",
            context={"version": version, "charter": version.charter},
            link=reverse("alliances:charter", kwargs={"pk": version.charter_id}),
        )
    return approval


def _unique_slug(title: str) -> str:
    base = slugify(title)[:180] or "programme"
    slug, n = base, 1
    while Program.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def launch_program(*, charter: Charter, by: Any, program: Program | None = None) -> Program:
    """From the approved version, create the program (or complete ``program``, an existing one of the branch)
    with the version's partners and their roles; the charter keeps the link (charter.program)."""
    charter = (
        Charter.objects.select_for_update(of=("self",)).select_related("group", "program").get(pk=charter.pk)
    )
    if charter.program is not None:
        raise ValidationError(
            _("Le programme « %(program)s » a déjà été lancé depuis cette charte.")
            % {"program": charter.program}
        )
    version = charter.versions.filter(state=CharterVersion.State.APPROVED).order_by("-number").first()
    if version is None:
        raise ValidationError(
            _("La charte doit être approuvée par tous ses partenaires avant de lancer le programme.")
        )
    branch_id = charter.group.branch_id
    if program is None:
        program = Program.objects.create(
            branch_id=branch_id,
            name=charter.title,
            slug=_unique_slug(charter.title),
            purpose=version.purpose,
            starts_on=version.starts_on,
            is_demo=charter.is_demo,
        )
        program.departments.set(version.departments.all())
    elif program.branch_id != branch_id:
        raise ValidationError(_("Ce programme appartient à une autre antenne."))
    elif Charter.objects.filter(program=program).exists():
        raise ValidationError(_("Ce programme est déjà issu d'une autre charte."))
    for partner in version.partners.select_related("organisation"):
        program_services.partner_set(
            program=program, organisation=partner.organisation, roles=partner.roles, note=partner.note, by=by
        )
    charter.program, charter.launched_version = program, version
    charter.launched_at, charter.launched_by = timezone.now(), _user(by)
    charter.save(update_fields=["program", "launched_version", "launched_at", "launched_by", "updated_at"])
    return program
