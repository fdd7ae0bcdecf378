"""Alliance building, first stage: the territorial diagnosis.

A Diagnosis belongs to a branch and a territory (departments, EPCIs, communes of the official geography), has
a period, a team and a lifecycle (draft → consultation open → analysis → published). Its evidence comes from
three sources shown side by side: the consultation of the territory's actors (ConsultationAnswer, one per
organisation, answered without an account through an invitation or the public link), territorial indicators
(IndicatorValue, imported by official code, terreau.alliances.indicators) and what Terreau already knows
(needs and offers, events, partnerships). Facilitators draft candidate KeyIssues with their evidence attached;
consulted actors rank them (Ballot, counted with the Borda rule in terreau.alliances.ranking).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from terreau.core import states
from terreau.core.access import AccessRule
from terreau.core.models import Branch, StateChange, TimeStampedModel

# What an actor may offer to bring, asked in the consultation (the kinds of help of the directory's offers).
CONTRIBUTION_KINDS: dict[str, str] = {
    "skills": _("Des compétences"),
    "time": _("Du temps (bénévolat)"),
    "premises": _("Des locaux"),
    "equipment": _("Du matériel"),
    "money": _("Un financement"),
}
# Publics the actors see concerned by the territory's issues.
PUBLICS: dict[str, str] = {
    "seniors": _("Personnes âgées"),
    "youth": _("Jeunes"),
    "families": _("Familles"),
    "disabled": _("Personnes en situation de handicap"),
    "jobseekers": _("Demandeurs d'emploi"),
    "isolated": _("Personnes isolées"),
    "newcomers": _("Personnes nouvellement arrivées"),
    "everyone": _("Tous les habitants"),
}


class Diagnosis(TimeStampedModel):
    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        CONSULTATION = "consultation", _("Consultation ouverte")
        ANALYSIS = "analysis", _("Analyse")
        PUBLISHED = "published", _("Publié")

    # Unpublished diagnoses stay within their branch; a published one is public, like its page and PDF.
    ACCESS = AccessRule(branch="branch", public=Q(state="published"))

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="diagnoses")
    title = models.CharField(_("titre"), max_length=200)
    summary = models.TextField(_("présentation"), max_length=5000, blank=True)
    period_start = models.DateField(_("début de la période"))
    period_end = models.DateField(_("fin de la période"))
    departments = models.ManyToManyField(
        "territories.Department", blank=True, related_name="+", verbose_name=_("départements")
    )
    epcis = models.ManyToManyField(
        "territories.Epci", blank=True, related_name="+", verbose_name=_("intercommunalités")
    )
    communes = models.ManyToManyField(
        "territories.Commune", blank=True, related_name="+", verbose_name=_("communes")
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="diagnoses", verbose_name=_("équipe")
    )
    state = models.CharField(_("état"), max_length=20, choices=State.choices, default=State.DRAFT)
    consultation_closes_on = models.DateField(_("clôture de la consultation"), null=True, blank=True)
    # The open link of the consultation (anyone with it may answer once for their organisation).
    public_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    LIFECYCLE = states.Lifecycle(
        field="state",
        transitions={
            State.DRAFT: {State.CONSULTATION},
            State.CONSULTATION: {State.ANALYSIS},
            # The analysis may reopen the consultation (a late answer, a forgotten actor).
            State.ANALYSIS: {State.CONSULTATION, State.PUBLISHED},
            State.PUBLISHED: set(),
        },
        history="alliances.DiagnosisChange",
        fk="diagnosis",
        refusal=_("Ce diagnostic ne peut pas passer de « %(from)s » à « %(to)s »."),
    )

    class Meta:
        verbose_name = _("diagnostic territorial")
        verbose_name_plural = _("diagnostics territoriaux")
        ordering = ["-period_end", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="diagnosis_period_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def consultation_open(self) -> bool:
        return self.state == self.State.CONSULTATION


class DiagnosisChange(StateChange):
    ACCESS = AccessRule(branch="diagnosis__branch")

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'un diagnostic")
        verbose_name_plural = _("historique des diagnostics")


class ConsultationInvitation(TimeStampedModel):
    """A directory organisation asked to answer: its private link, and the reminders sent."""

    ACCESS = AccessRule(branch="diagnosis__branch", organisation="organisation")

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="invitations")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="consultation_invitations"
    )
    email = models.EmailField(_("adresse d'envoi"))
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(_("relances"), default=0)
    last_reminded_at = models.DateTimeField(_("dernière relance le"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation à la consultation")
        verbose_name_plural = _("invitations à la consultation")
        constraints = [
            models.UniqueConstraint(fields=["diagnosis", "organisation"], name="one_invitation_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.diagnosis}"


class ConsultationAnswer(TimeStampedModel):
    """One organisation's answer, editable until the consultation closes (with its edit link)."""

    ACCESS = AccessRule(branch="diagnosis__branch", organisation="organisation")

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="answers")
    # Linked to the directory when the organisation is in it (an invitation, or chosen on the public form).
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consultation_answers",
    )
    organisation_name = models.CharField(_("structure"), max_length=200)
    respondent_name = models.CharField(_("nom de la personne qui répond"), max_length=150)
    respondent_email = models.EmailField(_("adresse électronique"))
    themes = models.JSONField(_("enjeux observés"), default=list)
    issues = models.TextField(_("les enjeux que vous voyez"), max_length=4000, blank=True)
    publics = models.JSONField(_("publics concernés"), default=list)
    can_bring = models.JSONField(_("ce que vous pourriez apporter"), default=list)
    can_bring_details = models.TextField(_("précisions"), max_length=2000, blank=True)
    edit_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("réponse à la consultation")
        verbose_name_plural = _("réponses à la consultation")
        ordering = ["organisation_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["diagnosis", "organisation"],
                condition=Q(organisation__isnull=False),
                name="one_answer_per_org",
            )
        ]

    def __str__(self) -> str:
        return self.organisation_name

    @property
    def theme_labels(self) -> list[str]:
        from terreau.vocabulary import THEMES

        return [THEMES.get(code, code) for code in self.themes]

    @property
    def public_labels(self) -> list[str]:
        return [str(PUBLICS.get(code, code)) for code in self.publics]

    @property
    def bring_labels(self) -> list[str]:
        return [str(CONTRIBUTION_KINDS.get(code, code)) for code in self.can_bring]


class Indicator(models.Model):
    """A territorial indicator (share of people aged 75 and over, digital fragility index...)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    label = models.CharField(_("intitulé"), max_length=200)
    unit = models.CharField(_("unité"), max_length=30, blank=True)
    description = models.TextField(_("définition"), blank=True)
    usual_source = models.CharField(_("source habituelle"), max_length=300, blank=True)
    # Official column names this indicator is read from in wide files (e.g. "P21_POP75P_PART").
    aliases = models.JSONField(_("noms de colonnes reconnus"), default=list, blank=True)

    class Meta:
        verbose_name = _("indicateur territorial")
        verbose_name_plural = _("indicateurs territoriaux")
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class IndicatorImport(models.Model):
    """One imported file: who, when, what it held and the rows it rejected (the report)."""

    ACCESS = AccessRule(branch="branch")

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(_("fichier"), max_length=200)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    imported_at = models.DateTimeField(_("importé le"), auto_now_add=True)
    rows_read = models.PositiveIntegerField(_("lignes lues"), default=0)
    values_saved = models.PositiveIntegerField(_("valeurs enregistrées"), default=0)
    errors = models.JSONField(_("lignes refusées"), default=list, blank=True)

    class Meta:
        verbose_name = _("import d'indicateurs")
        verbose_name_plural = _("imports d'indicateurs")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.file_name


class IndicatorValue(models.Model):
    """One value of an indicator for one territory (or the region, or France, as a reference) and year."""

    class Level(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        EPCI = "epci", _("Intercommunalité")
        DEPARTMENT = "department", _("Département")
        REGION = "region", _("Région")
        FRANCE = "france", _("France")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    level = models.CharField(_("échelon"), max_length=12, choices=Level.choices)
    code = models.CharField(_("code officiel"), max_length=9)
    year = models.PositiveSmallIntegerField(_("année"))
    value = models.DecimalField(_("valeur"), max_digits=14, decimal_places=4)
    source = models.CharField(_("source"), max_length=300)
    imported = models.ForeignKey(
        IndicatorImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="values"
    )

    class Meta:
        verbose_name = _("valeur d'indicateur")
        verbose_name_plural = _("valeurs d'indicateurs")
        ordering = ["indicator", "level", "code", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "level", "code", "year"], name="one_value_per_place_and_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator} · {self.code} · {self.year}"


class KeyIssue(TimeStampedModel):
    """A candidate key issue of a diagnosis, with its evidence; the ranking chooses among them."""

    class State(models.TextChoices):
        CANDIDATE = "candidate", _("Proposé")
        CHOSEN = "chosen", _("Retenu")
        SET_ASIDE = "set_aside", _("Écarté")

    ACCESS = AccessRule(branch="diagnosis__branch", public=Q(diagnosis__state="published"))

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="key_issues")
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    themes = models.JSONField(_("thèmes"), default=list, blank=True)
    state = models.CharField(_("état"), max_length=12, choices=State.choices, default=State.CANDIDATE)
    answers = models.ManyToManyField(
        ConsultationAnswer, blank=True, related_name="key_issues", verbose_name=_("réponses citées")
    )
    indicator_values = models.ManyToManyField(
        IndicatorValue, blank=True, related_name="key_issues", verbose_name=_("indicateurs cités")
    )
    needs = models.ManyToManyField(
        "directory.NeedOffer", blank=True, related_name="key_issues", verbose_name=_("besoins cités")
    )

    class Meta:
        verbose_name = _("enjeu clé")
        verbose_name_plural = _("enjeux clés")
        ordering = ["diagnosis", "pk"]
        constraints = [models.UniqueConstraint(fields=["diagnosis", "title"], name="unique_key_issue_title")]

    def __str__(self) -> str:
        return self.title

    @property
    def theme_labels(self) -> list[str]:
        from terreau.vocabulary import THEMES

        return [THEMES.get(code, code) for code in self.themes]


class Ballot(TimeStampedModel):
    """A consulted actor's ranking of the candidate key issues (best first), one per organisation."""

    ACCESS = AccessRule(branch="diagnosis__branch", organisation="organisation")

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="ballots")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.CASCADE, related_name="+")
    ranking = models.JSONField(_("classement"), default=list)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("classement des enjeux")
        verbose_name_plural = _("classements des enjeux")
        constraints = [
            models.UniqueConstraint(fields=["diagnosis", "organisation"], name="one_ballot_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.diagnosis}"


# Working groups and the collective's charter (imported here so that Django registers them with the app).
from terreau.alliances.group_models import *  # noqa: E402, F403
