"""The territorial diagnosis: creating it, moving it through its lifecycle, its key issues, the consulted
actors' ballots, the count and the publication. Keyword-only; every refusal is a French ValidationError and
nothing is half-written (each service holds its transaction). The consultation itself (invitations, answers,
reminders) is in terreau.alliances.consultation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.alliances import ranking
from terreau.alliances.models import (
    Ballot,
    ConsultationAnswer,
    ConsultationInvitation,
    Diagnosis,
    IndicatorValue,
    KeyIssue,
)
from terreau.core import states
from terreau.core.access import actor_for
from terreau.territories.models import Commune, Department, Epci

# Dates outside this span are typing mistakes (a year 2 or 20024), not a diagnosis period.
PERIOD_YEARS = range(1990, 2101)
# Ballots are cast, and replaced, while the consultation is open and during the analysis.
BALLOT_STATES = (Diagnosis.State.CONSULTATION, Diagnosis.State.ANALYSIS)


def _check_staff(by, branch) -> None:
    if not actor_for(by).manages_branch(branch):
        raise PermissionDenied


def _check_period(start: date, end: date) -> None:
    if start.year not in PERIOD_YEARS or end.year not in PERIOD_YEARS:
        raise ValidationError(_("La période doit se situer entre 1990 et 2100."))
    if end < start:
        raise ValidationError(_("La fin de la période précède son début."))


def _territory_codes(text: str, model, label: str) -> list:
    """Official codes typed in a field (separated by spaces, commas or semicolons) as rows of ``model``."""
    codes = [c.strip().upper() for c in text.replace(";", " ").replace(",", " ").split() if c.strip()]
    if not codes:
        return []
    found = {obj.code: obj for obj in model.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationError(
            _("%(label)s : code inconnu de la géographie officielle : %(codes)s.")
            % {"label": label, "codes": ", ".join(unknown[:10])}
        )
    return list(dict.fromkeys(found[c] for c in codes))


def territory_from_codes(*, epcis: str = "", communes: str = "") -> tuple[list[Epci], list[Commune]]:
    return (
        _territory_codes(epcis, Epci, _("Intercommunalités")),
        _territory_codes(communes, Commune, _("Communes")),
    )


@transaction.atomic
def diagnosis_save(
    *,
    diagnosis: Diagnosis,
    by,
    departments: Iterable[Department] = (),
    epcis: Iterable[Epci] = (),
    communes: Iterable[Commune] = (),
    team: Iterable = (),
) -> Diagnosis:
    """Create or update a diagnosis (branch staff only): its territory must name at least one place."""
    _check_staff(by, diagnosis.branch)
    _check_period(diagnosis.period_start, diagnosis.period_end)
    departments, epcis, communes = list(departments), list(epcis), list(communes)
    if not (departments or epcis or communes):
        raise ValidationError(_("Choisissez au moins un département, une intercommunalité ou une commune."))
    if diagnosis.consultation_closes_on and diagnosis.consultation_closes_on.year not in PERIOD_YEARS:
        raise ValidationError(_("La date de clôture de la consultation n'est pas plausible."))
    created = diagnosis.pk is None
    if not created and diagnosis.state == Diagnosis.State.PUBLISHED:
        raise ValidationError(_("Un diagnostic publié ne se modifie plus."))
    diagnosis.save()
    diagnosis.departments.set(departments)
    diagnosis.epcis.set(epcis)
    diagnosis.communes.set(communes)
    team = list(team)
    if created and by not in team:
        team.append(by)
    diagnosis.team.set(team)
    if created:
        states.begin(diagnosis, by=by)
    return diagnosis


def _locked(diagnosis: Diagnosis) -> Diagnosis:
    return Diagnosis.objects.select_for_update().get(pk=diagnosis.pk)


@transaction.atomic
def diagnosis_move(*, diagnosis: Diagnosis, to: str, by, note: str = "") -> Diagnosis:
    """Open the consultation, close it (→ analysis), reopen it, or publish (through diagnosis_publish)."""
    _check_staff(by, diagnosis.branch)
    diagnosis = _locked(diagnosis)
    if to == Diagnosis.State.PUBLISHED:
        return diagnosis_publish(diagnosis=diagnosis, by=by, note=note)
    closes = diagnosis.consultation_closes_on
    if to == Diagnosis.State.CONSULTATION and closes and closes < timezone.localdate():
        raise ValidationError(
            _("La date de clôture de la consultation est passée : changez-la avant d'ouvrir la consultation.")
        )
    states.move(diagnosis, to, by=by, note=note)
    if to == Diagnosis.State.CONSULTATION:
        from terreau.alliances.consultation import send_pending_invitations

        send_pending_invitations(diagnosis=diagnosis)
    return diagnosis


def close_due_consultations(*, today: date | None = None) -> int:
    """Close (→ analysis) the consultations whose closing date has passed. Returns how many."""
    today = today or timezone.localdate()
    count = 0
    due = Diagnosis.objects.filter(state=Diagnosis.State.CONSULTATION, consultation_closes_on__lt=today)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            diagnosis = Diagnosis.objects.select_for_update().get(pk=pk)
            if diagnosis.state != Diagnosis.State.CONSULTATION:
                continue
            states.move(diagnosis, Diagnosis.State.ANALYSIS, note=_("Clôture à la date prévue"))
            count += 1
    return count


@transaction.atomic
def diagnosis_publish(*, diagnosis: Diagnosis, by, note: str = "") -> Diagnosis:
    """Publish once at least one key issue is chosen: the page and the PDF become public."""
    _check_staff(by, diagnosis.branch)
    diagnosis = _locked(diagnosis)
    if not states.can_move(diagnosis, Diagnosis.State.PUBLISHED):
        raise ValidationError(states.refusal(diagnosis, Diagnosis.State.PUBLISHED))
    if not diagnosis.key_issues.filter(state=KeyIssue.State.CHOSEN).exists():
        raise ValidationError(_("Retenez au moins un enjeu clé avant de publier le diagnostic."))
    states.move(diagnosis, Diagnosis.State.PUBLISHED, by=by, note=note, also={"published_at": timezone.now()})
    return diagnosis


# --- key issues ---------------------------------------------------------------------------------------


def _check_editable(diagnosis: Diagnosis) -> None:
    if diagnosis.state == Diagnosis.State.PUBLISHED:
        raise ValidationError(_("Un diagnostic publié ne se modifie plus."))


def _evidence_of(diagnosis: Diagnosis, *, answers, indicator_values, needs) -> tuple[list, list, list]:
    """Evidence must belong to the diagnosis: its answers, values of its territory, needs of its territory."""
    from terreau.alliances.diagnosis_queries import territory_needs, territory_values

    answers, indicator_values, needs = list(answers), list(indicator_values), list(needs)
    if any(a.diagnosis_id != diagnosis.pk for a in answers):
        raise ValidationError(_("Une réponse citée n'appartient pas à ce diagnostic."))
    allowed_values = set(territory_values(diagnosis).values_list("pk", flat=True))
    if any(v.pk not in allowed_values for v in indicator_values):
        raise ValidationError(_("Un indicateur cité ne concerne pas le territoire du diagnostic."))
    allowed_needs = set(territory_needs(diagnosis).values_list("pk", flat=True))
    if any(n.pk not in allowed_needs for n in needs):
        raise ValidationError(_("Un besoin cité n'est pas un besoin du territoire du diagnostic."))
    return answers, indicator_values, needs


@transaction.atomic
def key_issue_save(
    *,
    key_issue: KeyIssue,
    by,
    answers: Iterable[ConsultationAnswer] = (),
    indicator_values: Iterable[IndicatorValue] = (),
    needs: Iterable = (),
) -> KeyIssue:
    diagnosis = _locked(key_issue.diagnosis)
    _check_staff(by, diagnosis.branch)
    _check_editable(diagnosis)
    answers, indicator_values, needs = _evidence_of(
        diagnosis, answers=answers, indicator_values=indicator_values, needs=needs
    )
    if (
        KeyIssue.objects.filter(diagnosis=diagnosis, title__iexact=key_issue.title.strip())
        .exclude(pk=key_issue.pk)
        .exists()
    ):
        raise ValidationError(_("Ce diagnostic a déjà un enjeu de ce nom."))
    key_issue.title = key_issue.title.strip()
    try:
        with transaction.atomic():
            key_issue.save()
    except IntegrityError:
        raise ValidationError(_("Ce diagnostic a déjà un enjeu de ce nom.")) from None
    key_issue.answers.set(answers)
    key_issue.indicator_values.set(indicator_values)
    key_issue.needs.set(needs)
    return key_issue


@transaction.atomic
def key_issue_delete(*, key_issue: KeyIssue, by) -> None:
    diagnosis = _locked(key_issue.diagnosis)
    _check_staff(by, diagnosis.branch)
    _check_editable(diagnosis)
    # A candidate already ranked stays: the count must remain recountable from the ballots.
    if any(key_issue.pk in b.ranking for b in diagnosis.ballots.all()):
        raise ValidationError(_("Cet enjeu a déjà été classé : il ne peut plus être supprimé."))
    key_issue.delete()


@transaction.atomic
def key_issues_choose(*, diagnosis: Diagnosis, by, chosen: Iterable[KeyIssue]) -> int:
    """Mark the chosen key issues; the other candidates are set aside. Returns how many were chosen."""
    diagnosis = _locked(diagnosis)
    _check_staff(by, diagnosis.branch)
    _check_editable(diagnosis)
    if diagnosis.state != Diagnosis.State.ANALYSIS:
        raise ValidationError(
            _("Les enjeux clés se retiennent pendant l'analyse, une fois la consultation close.")
        )
    chosen_ids = {k.pk for k in chosen}
    issues = list(diagnosis.key_issues.all())
    if chosen_ids - {k.pk for k in issues}:
        raise ValidationError(_("Un enjeu choisi n'appartient pas à ce diagnostic."))
    if not chosen_ids:
        raise ValidationError(_("Choisissez au moins un enjeu clé."))
    for issue in issues:
        issue.state = KeyIssue.State.CHOSEN if issue.pk in chosen_ids else KeyIssue.State.SET_ASIDE
        issue.save(update_fields=["state", "updated_at"])
    return len(chosen_ids)


# --- ballots and the count ----------------------------------------------------------------------------


def consulted_organisation_ids(diagnosis: Diagnosis) -> set[int]:
    """Organisations that may rank: invited ones and those whose answer is linked to the directory."""
    invited = ConsultationInvitation.objects.filter(diagnosis=diagnosis).values_list(
        "organisation_id", flat=True
    )
    answered = ConsultationAnswer.objects.filter(diagnosis=diagnosis, organisation__isnull=False).values_list(
        "organisation_id", flat=True
    )
    return set(invited) | set(answered)


def candidates(diagnosis: Diagnosis) -> list[KeyIssue]:
    """The key issues to rank (all of them: the choice among them comes after the count)."""
    return list(diagnosis.key_issues.order_by("pk"))


def ballot_open(diagnosis: Diagnosis) -> bool:
    return diagnosis.state in BALLOT_STATES


@transaction.atomic
def ballot_cast(*, diagnosis: Diagnosis, organisation, ranking_ids: Sequence, by=None) -> Ballot:
    """Record (or replace) an organisation's ranking, best first; checked against the candidates."""
    diagnosis = _locked(diagnosis)
    if not ballot_open(diagnosis):
        raise ValidationError(_("Le classement des enjeux n'est pas ouvert pour ce diagnostic."))
    if organisation is None or organisation.pk not in consulted_organisation_ids(diagnosis):
        raise ValidationError(_("Seules les structures consultées classent les enjeux de ce diagnostic."))
    ids = []
    for value in ranking_ids:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise ValidationError(_("Ce classement cite un enjeu inconnu.")) from None
    try:
        ranking.check_ballot([k.pk for k in candidates(diagnosis)], ids)
    except ranking.InvalidBallot as error:
        reason = str(error)
        if reason == "empty":
            raise ValidationError(_("Classez au moins un enjeu.")) from None
        if reason.startswith("unknown"):
            raise ValidationError(_("Ce classement cite un enjeu inconnu.")) from None
        raise ValidationError(_("Un même enjeu ne peut occuper qu'une place du classement.")) from None
    cast_by = by if getattr(by, "is_authenticated", False) else None
    ballot, _created = Ballot.objects.update_or_create(
        diagnosis=diagnosis, organisation=organisation, defaults={"ranking": ids, "cast_by": cast_by}
    )
    return ballot


def count(diagnosis: Diagnosis) -> list[dict]:
    """The Borda table of the diagnosis (best first), each row with its key issue."""
    issues = candidates(diagnosis)
    by_id = {k.pk: k for k in issues}
    ballots = []
    for ballot in diagnosis.ballots.all():
        kept = [pk for pk in ballot.ranking if pk in by_id]
        if kept:
            ballots.append(kept)
    table = ranking.borda(list(by_id), ballots)
    return [
        {
            "key_issue": by_id[t.candidate],
            "points": t.points,
            "firsts": t.firsts,
            "ballots": t.ballots,
            "rank": t.rank,
        }
        for t in table
    ]
