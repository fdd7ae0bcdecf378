"""Evaluation of a program's social utility: the framework.

An Evaluation belongs to one program and covers a period. Its framework says what it tries to learn
(EvaluationQuestion: "do participants feel less isolated?"), how it will tell (Indicator: an output computed
from Terreau's own data, or an outcome read from the questionnaires, with a target), from whom (the audiences:
participants, host-site staff, volunteers, partners, families) and when (Wave: before, after, follow-up, each
open for a period). The questionnaires themselves (Instrument, Item) are in instrument_models, the
respondents and their answers in response_models.

Who sees what (terreau.core.access): the framework is seen by the program's team (partner viewers included,
read only), changed by its coordinators, its evaluators (ProgramRole "evaluator") and the branch's staff. Raw
answers are kept from the branch's staff and from partners (response_models); partners see aggregates above
the evaluation's minimum count only, through the report. A ShareLink shows the report, and nothing else, to a
funder without an account, until it is revoked.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from terreau.core import states
from terreau.core.access import AccessRule
from terreau.core.models import StateChange, TimeStampedModel

FRAMEWORK = AccessRule(
    branch="evaluation__program__branch", program="evaluation__program", evaluation="evaluation__program"
)


def new_token() -> str:
    """An unguessable token for a link without an account (collection links, share links, responses)."""
    return secrets.token_urlsafe(18)


class Audience(models.TextChoices):
    PARTICIPANTS = "participants", _("Participants")
    SITE_STAFF = "site_staff", _("Équipes des sites d'accueil")
    VOLUNTEERS = "volunteers", _("Volontaires")
    PARTNERS = "partners", _("Partenaires")
    FAMILIES = "families", _("Proches")


class Evaluation(TimeStampedModel):
    ACCESS = AccessRule(branch="program__branch", program="program", evaluation="program")

    class State(models.TextChoices):
        DRAFT = "draft", _("En préparation")
        COLLECTING = "collecting", _("Collecte en cours")
        CLOSED = "closed", _("Terminée")

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="evaluations")
    title = models.CharField(_("titre"), max_length=200)
    purpose = models.TextField(_("objet de l'évaluation"), blank=True)
    period_start = models.DateField(_("début de la période évaluée"))
    period_end = models.DateField(_("fin de la période évaluée"))
    method = models.TextField(_("méthode"), blank=True, help_text=_("Affichée dans le rapport."))
    limits = models.TextField(_("limites"), blank=True, help_text=_("Affichées dans le rapport."))
    min_count = models.PositiveSmallIntegerField(
        _("effectif minimal publié"),
        default=settings.TERREAU_EVALUATION_MIN_COUNT,
        validators=[
            MinValueValidator(3, message=_("L'effectif minimal ne peut pas être inférieur à 3.")),
            MaxValueValidator(50, message=_("L'effectif minimal ne peut pas dépasser 50.")),
        ],
        help_text=_(
            "Aucun chiffre calculé sur moins de répondants n'est affiché, pour que personne ne soit reconnu."
        ),
    )
    audiences = models.JSONField(_("publics interrogés"), default=list, blank=True)
    state = models.CharField(_("état"), max_length=20, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    LIFECYCLE = states.Lifecycle(
        field="state",
        transitions={
            State.DRAFT: {State.COLLECTING},
            State.COLLECTING: {State.CLOSED},
            # A late wave, a forgotten site: the coordination may reopen the collection.
            State.CLOSED: {State.COLLECTING},
        },
        history="evaluation.EvaluationChange",
        fk="evaluation",
        refusal=_("Cette évaluation ne peut pas passer de « %(from)s » à « %(to)s »."),
    )

    class Meta:
        verbose_name = _("évaluation")
        verbose_name_plural = _("évaluations")
        ordering = ["-period_start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="evaluation_period_order"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def audience_labels(self) -> list[str]:
        labels = dict(Audience.choices)
        return [str(labels[a]) for a in self.audiences if a in labels]


class EvaluationChange(StateChange):
    ACCESS = AccessRule(
        branch="evaluation__program__branch", program="evaluation__program", evaluation="evaluation__program"
    )

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'état d'une évaluation")
        verbose_name_plural = _("historique des évaluations")


class EvaluationQuestion(models.Model):
    """What the evaluation tries to learn ("Les participants se sentent-ils moins isolés ?")."""

    ACCESS = FRAMEWORK

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    text = models.CharField(_("question évaluative"), max_length=300)

    class Meta:
        verbose_name = _("question évaluative")
        verbose_name_plural = _("questions évaluatives")
        ordering = ["evaluation", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class Indicator(models.Model):
    """How the evaluation answers a question: an output from Terreau's data, or an outcome from questionnaires.

    Outputs name a metric of terreau.evaluation.outputs (``output_metric``); outcomes name an item of the
    audience's questionnaire by its stable code (``item_code``, the same across versions and waves) and a
    ``measure``. ``target`` is compared with the measured value in the report (a percentage for shares).
    """

    ACCESS = FRAMEWORK

    class Kind(models.TextChoices):
        OUTPUT = "output", _("Réalisation (données de Terreau)")
        OUTCOME = "outcome", _("Effet (questionnaires)")

    class Metric(models.TextChoices):
        SESSIONS_HELD = "sessions_held", _("Séances tenues")
        PARTICIPANTS_REACHED = "participants_reached", _("Participants touchés")
        REGULAR_PARTICIPANTS = "regular_participants", _("Participants réguliers")
        VOLUNTEER_HOURS = "volunteer_hours", _("Heures de volontariat")
        VOLUNTEER_VALUE = "volunteer_value", _("Valeur des heures de volontariat (€)")
        CONTRIBUTIONS_VALUE = "contributions_value", _("Contributions des partenaires valorisées (€)")
        SITES_ACTIVE = "sites_active", _("Sites d'accueil actifs")

    class Measure(models.TextChoices):
        SHARE_AGREE = "share_agree", _("Part des répondants en accord (après)")
        MEAN_AFTER = "mean_after", _("Moyenne (après)")
        MEAN_CHANGE = "mean_change", _("Évolution moyenne avant/après (mêmes répondants)")
        SHARE_IMPROVED = "share_improved", _("Part des répondants en progrès (mêmes répondants)")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="indicators")
    question = models.ForeignKey(
        EvaluationQuestion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("question évaluative"),
    )
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    label = models.CharField(_("indicateur"), max_length=200)
    kind = models.CharField(_("nature"), max_length=10, choices=Kind.choices)
    output_metric = models.CharField(
        _("donnée de Terreau"), max_length=30, choices=Metric.choices, blank=True
    )
    audience = models.CharField(_("public"), max_length=20, choices=Audience.choices, blank=True)
    item_code = models.SlugField(_("code de la question du questionnaire"), max_length=60, blank=True)
    measure = models.CharField(_("mesure"), max_length=20, choices=Measure.choices, blank=True)
    target = models.DecimalField(_("cible"), max_digits=12, decimal_places=2, null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("indicateur")
        verbose_name_plural = _("indicateurs")
        ordering = ["evaluation", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="output") & ~models.Q(output_metric=""))
                | (
                    models.Q(kind="outcome")
                    & ~models.Q(item_code="")
                    & ~models.Q(measure="")
                    & ~models.Q(audience="")
                ),
                name="indicator_kind_fields",
                violation_error_message=_(
                    "Une réalisation nomme une donnée de Terreau ; un effet nomme un public, une question et une mesure."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.label


class Wave(TimeStampedModel):
    """A round of collection (before, after, follow-up), open for answers between two dates."""

    ACCESS = FRAMEWORK

    class Kind(models.TextChoices):
        BEFORE = "before", _("Avant")
        AFTER = "after", _("Après")
        FOLLOW_UP = "follow_up", _("Suivi")

    class State(models.TextChoices):
        PLANNED = "planned", _("Prévue")
        OPEN = "open", _("Ouverte")
        CLOSED = "closed", _("Close")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="waves")
    kind = models.CharField(_("vague"), max_length=10, choices=Kind.choices)
    opens_on = models.DateField(_("ouverture prévue"))
    closes_on = models.DateField(_("clôture prévue"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PLANNED)

    LIFECYCLE = states.Lifecycle(
        field="state",
        transitions={
            State.PLANNED: {State.OPEN},
            State.OPEN: {State.CLOSED},
            State.CLOSED: {State.OPEN},
        },
        history="evaluation.WaveChange",
        fk="wave",
        refusal=_("Cette vague ne peut pas passer de « %(from)s » à « %(to)s »."),
    )

    class Meta:
        verbose_name = _("vague de collecte")
        verbose_name_plural = _("vagues de collecte")
        ordering = ["evaluation", "opens_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "kind"],
                name="unique_wave_kind",
                violation_error_message=_("Cette évaluation a déjà une vague de ce type."),
            ),
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")), name="wave_dates_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} — {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class WaveChange(StateChange):
    ACCESS = AccessRule(
        branch="wave__evaluation__program__branch",
        program="wave__evaluation__program",
        evaluation="wave__evaluation__program",
    )

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'état d'une vague")
        verbose_name_plural = _("historique des vagues")


class ShareLink(TimeStampedModel):
    """A read-only link to the evaluation's report for a funder without an account, revocable at any time."""

    ACCESS = AccessRule(branch="evaluation__program__branch", evaluation="evaluation__program")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="share_links")
    label = models.CharField(
        _("destinataire"), max_length=150, help_text=_("Par exemple : Fondation X, comité du 12 mars.")
    )
    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_viewed_at = models.DateTimeField(_("dernière consultation"), null=True, blank=True)
    views = models.PositiveIntegerField(_("consultations"), default=0)

    class Meta:
        verbose_name = _("lien de partage du rapport")
        verbose_name_plural = _("liens de partage des rapports")
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AnalysisSnapshot(models.Model):
    """The last analysis of an evaluation's answers, shared by every web process and worker.

    Reading every answer of a large evaluation takes seconds (20,000 respondents × 30 questions × 2 waves: about
    10 s), so the analysis is computed by a job after answers arrive (terreau.evaluation.tasks) and kept here with
    the fingerprint of what it was computed on; the report shows it at once, saying when it was computed and
    whether newer answers are being analysed. ``payload`` is a pickle written by this application only
    (terreau.evaluation.analysis), never read from anything a user sends."""

    ACCESS = AccessRule(
        branch="evaluation__program__branch", evaluation="evaluation__program", branch_staff=False
    )

    evaluation = models.OneToOneField(Evaluation, on_delete=models.CASCADE, related_name="analysis_snapshot")
    fingerprint = models.CharField(max_length=64)
    payload = models.BinaryField()
    computed_at = models.DateTimeField(_("calculée le"))
    seconds = models.FloatField(_("durée du calcul (s)"), default=0)

    class Meta:
        verbose_name = _("analyse enregistrée")
        verbose_name_plural = _("analyses enregistrées")

    def __str__(self) -> str:
        return str(self.evaluation)


# The questionnaires and the answers live in their own modules; imported here so that Django registers them.
from terreau.evaluation.instrument_models import Instrument, Item  # noqa: E402
from terreau.evaluation.response_models import Answer, CollectionLink, Respondent, Response  # noqa: E402

__all__ = [
    "AnalysisSnapshot",
    "Answer",
    "Audience",
    "CollectionLink",
    "Evaluation",
    "EvaluationChange",
    "EvaluationQuestion",
    "Indicator",
    "Instrument",
    "Item",
    "Respondent",
    "Response",
    "ShareLink",
    "Wave",
    "WaveChange",
]
