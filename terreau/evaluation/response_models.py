"""Respondents and their answers: pseudonymous, minimal, and kept from everyone but the evaluation's team.

A Respondent is a code (never a name) that links one person's answers across waves. It may point at the
program's Participant it stands for, only where that participant consented (terreau.activities), so that the
age band and the site are known without asking again; the link is cut when the participant is anonymised.
No health data is asked or stored. ``enrolled`` respondents were registered by the team before the wave (the
response rate's denominator); the others registered themselves through a collection link.

A Response is one respondent's questionnaire in one wave (mode: link, assisted entry on a tablet, paper form
typed in later). It is reached without an account through its ``token`` until it is submitted; each Answer is
saved as it is given, so a lost connection loses nothing.

Access (terreau.core.access): only the program's coordinators and evaluators see or change these rows
(``evaluation`` path, ``branch_staff=False``): not the branch's facilitators, not the partners, not the network's
head office. Volunteers and site staff enter answers through a response's token, and cannot read them back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from terreau.core.access import AccessRule
from terreau.core.models import TimeStampedModel
from terreau.evaluation.instrument_models import Instrument, Item
from terreau.evaluation.models import Audience, Evaluation, Wave, new_token


class Respondent(TimeStampedModel):
    ACCESS = AccessRule(
        branch="evaluation__program__branch", evaluation="evaluation__program", branch_staff=False
    )

    class AgeBand(models.TextChoices):
        UNDER_60 = "under_60", _("moins de 60 ans")
        B60 = "60_69", _("60 à 69 ans")
        B70 = "70_79", _("70 à 79 ans")
        B80 = "80_89", _("80 à 89 ans")
        B90 = "90_plus", _("90 ans et plus")
        UNKNOWN = "unknown", _("non renseignée")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="respondents")
    code = models.CharField(_("code personnel"), max_length=20)
    audience = models.CharField(_("public"), max_length=20, choices=Audience.choices)
    site = models.ForeignKey(
        "programs.HostSite",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    age_band = models.CharField(
        _("tranche d'âge"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    participant = models.ForeignKey(
        "activities.Participant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    enrolled = models.BooleanField(_("inscrit par l'équipe"), default=True)
    consent_on = models.DateField(_("date du consentement"), null=True, blank=True)
    consent_by = models.CharField(_("consentement recueilli par"), max_length=150, blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("répondant")
        verbose_name_plural = _("répondants")
        ordering = ["evaluation", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "code"],
                name="unique_respondent_code",
                violation_error_message=_("Ce code personnel est déjà utilisé dans cette évaluation."),
            ),
            models.UniqueConstraint(
                fields=["evaluation", "participant", "audience"],
                condition=models.Q(participant__isnull=False),
                name="unique_respondent_participant",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CollectionLink(TimeStampedModel):
    """A link answering a wave's questionnaire for one audience (and optionally one site), without an account."""

    # Whoever holds the token answers in the evaluation's name: links are seen, made and revoked by those who run
    # the collection (the program's coordinators and evaluators, as for respondents), never by partner viewers
    # nor by the branch's staff (who see the framework and the report, not the means to add answers).
    ACCESS = AccessRule(
        branch="wave__evaluation__program__branch", evaluation="wave__evaluation__program", branch_staff=False
    )

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="links")
    audience = models.CharField(_("public"), max_length=20, choices=Audience.choices)
    site = models.ForeignKey(
        "programs.HostSite",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("désactivé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lien de réponse")
        verbose_name_plural = _("liens de réponse")
        ordering = ["wave", "audience", "pk"]

    def __str__(self) -> str:
        return f"{self.wave} — {self.get_audience_display()}"


class Response(TimeStampedModel):
    ACCESS = AccessRule(
        branch="respondent__evaluation__program__branch",
        evaluation="respondent__evaluation__program",
        branch_staff=False,
    )

    class Mode(models.TextChoices):
        LINK = "link", _("Par lien")
        ASSISTED = "assisted", _("Saisie accompagnée")
        PAPER = "paper", _("Questionnaire papier")

    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="responses")
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="responses")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    mode = models.CharField(_("mode de réponse"), max_length=10, choices=Mode.choices)
    link = models.ForeignKey(
        CollectionLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saisi par"),
    )
    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    submitted_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("réponse à un questionnaire")
        verbose_name_plural = _("réponses aux questionnaires")
        ordering = ["wave", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["respondent", "wave"],
                name="unique_response_per_wave",
                violation_error_message=_("Cette personne a déjà répondu pour cette vague."),
            )
        ]
        indexes = [models.Index(fields=["wave", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.respondent} — {self.wave.get_kind_display()}"


class Answer(models.Model):
    """One answer. Likert, number and yes/no (1/0) in ``number``; single choice and free text in ``text``;
    multiple choice in ``choices``. ``declined``: the respondent chose not to answer (counted apart)."""

    ACCESS = AccessRule(
        branch="response__respondent__evaluation__program__branch",
        evaluation="response__respondent__evaluation__program",
        branch_staff=False,
    )

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="answers")
    number = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    text = models.TextField(blank=True)
    choices = models.JSONField(default=list, blank=True)
    declined = models.BooleanField(default=False)
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("réponse à une question")
        verbose_name_plural = _("réponses aux questions")
        constraints = [models.UniqueConstraint(fields=["response", "item"], name="unique_answer_per_item")]

    def __str__(self) -> str:
        return f"{self.response} — {self.item.code}"
