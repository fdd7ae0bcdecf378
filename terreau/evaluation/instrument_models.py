"""Questionnaires (Instrument) and their questions (Item).

An instrument is written for one audience of an evaluation. It is versioned: once a single answer has been
recorded it is frozen (``frozen_at``) and never edited again; a change makes a new version (``previous``),
and the answers already given stay attached to the version that was answered. Items keep a stable ``code``
across versions and waves: the analysis pairs a respondent's before and after answers by that code.

Item kinds: Likert scale (``scale_min``..``scale_max`` with labels at both ends), single and multiple choice
(``choices``: [{"value": "...", "label": "..."}]), number (``number_min``..``number_max``), yes/no, free text.
Skip logic is simple: ``show_if`` = {"item": "<code of an earlier item>", "in": ["<value>", ...]} shows the
item only when that earlier answer is one of the values (yes/no answers are "yes"/"no", Likert values their
number as text).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from terreau.core.access import AccessRule
from terreau.core.models import TimeStampedModel
from terreau.evaluation.models import Audience, Evaluation


class Instrument(TimeStampedModel):
    ACCESS = AccessRule(
        branch="evaluation__program__branch", program="evaluation__program", evaluation="evaluation__program"
    )

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="instruments")
    audience = models.CharField(_("public"), max_length=20, choices=Audience.choices)
    title = models.CharField(_("titre"), max_length=200)
    intro = models.TextField(
        _("texte d'accueil"),
        blank=True,
        help_text=_("Lu avant la première question : but, durée, confidentialité."),
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_version"
    )
    frozen_at = models.DateTimeField(_("figé le"), null=True, blank=True)
    is_current = models.BooleanField(_("version en usage"), default=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["evaluation", "audience", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "audience", "version"], name="unique_instrument_version"
            ),
            models.UniqueConstraint(
                fields=["evaluation", "audience"],
                condition=models.Q(is_current=True),
                name="one_current_instrument_per_audience",
                violation_error_message=_("Ce public a déjà un questionnaire en usage."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class Item(models.Model):
    ACCESS = AccessRule(
        branch="instrument__evaluation__program__branch",
        program="instrument__evaluation__program",
        evaluation="instrument__evaluation__program",
    )

    class Kind(models.TextChoices):
        LIKERT = "likert", _("Échelle d'accord ou de fréquence")
        SINGLE = "single", _("Choix unique")
        MULTIPLE = "multiple", _("Choix multiple")
        NUMBER = "number", _("Nombre")
        YES_NO = "yes_no", _("Oui / non")
        TEXT = "text", _("Texte libre")

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    code = models.SlugField(
        _("code"), max_length=60, help_text=_("Reste le même d'une version et d'une vague à l'autre.")
    )
    text = models.CharField(_("question"), max_length=400)
    help_text = models.CharField(_("aide"), max_length=300, blank=True)
    kind = models.CharField(_("type de réponse"), max_length=10, choices=Kind.choices)
    theme = models.CharField(_("thème"), max_length=40, blank=True)
    choices = models.JSONField(_("choix"), default=list, blank=True)
    scale_min = models.SmallIntegerField(_("échelle : minimum"), default=1)
    scale_max = models.SmallIntegerField(_("échelle : maximum"), default=5)
    scale_min_label = models.CharField(_("libellé du minimum"), max_length=80, blank=True)
    scale_max_label = models.CharField(_("libellé du maximum"), max_length=80, blank=True)
    number_min = models.DecimalField(
        _("nombre : minimum"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    number_max = models.DecimalField(
        _("nombre : maximum"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    required = models.BooleanField(_("réponse obligatoire"), default=False)
    show_if = models.JSONField(_("condition d'affichage"), null=True, blank=True)
    template_key = models.CharField(_("modèle d'origine"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("question du questionnaire")
        verbose_name_plural = _("questions du questionnaire")
        ordering = ["instrument", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "code"],
                name="unique_item_code",
                violation_error_message=_(
                    "Ce code est déjà pris par une autre question de ce questionnaire."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(scale_max__gt=models.F("scale_min")), name="item_scale_order"
            ),
        ]

    def __str__(self) -> str:
        return self.text
