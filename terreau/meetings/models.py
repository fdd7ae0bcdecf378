"""Speed-meetings (rendez-vous d'affaires) on top of events: setup, wishes, the plan and the feedback.

A SpeedMeeting hangs from an Event of kind speed_meeting. Its participants are the event's confirmed
registrations; each has a Participation (rounds they cannot attend, absence on the day). Wishes are
directed, from one registration to another. The plan is a set of Meeting rows with an explicit state
(draft → provisional → final, SpeedMeeting.LIFECYCLE) whose history lives in PlanChange. Every change goes
through terreau.meetings.services; the plan itself comes from terreau.meetings.planner (pure, no Django).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terreau.core import states
from terreau.core.access import AccessRule
from terreau.core.models import StateChange, TimeStampedModel

# The planner's participant sides; organisations that are neither associations nor companies are "other".
# A registration without a directory organisation takes the side its registrant declared (Registration.side).
SIDE_A, SIDE_B, SIDE_OTHER = "A", "B", "other"


class SpeedMeeting(TimeStampedModel):
    """The speed-meeting settings of one event and the state of its plan."""

    ACCESS = AccessRule(branch="event__branch")

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PROVISIONAL = "provisional", _("Planning provisoire publié")
        FINAL = "final", _("Planning définitif publié")

    event = models.OneToOneField("events.Event", on_delete=models.CASCADE, related_name="speed_meeting")
    rounds = models.PositiveSmallIntegerField(
        _("nombre de tours"), default=6, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    round_minutes = models.PositiveSmallIntegerField(
        _("durée d'un tour (minutes)"), default=15, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    break_minutes = models.PositiveSmallIntegerField(
        _("pause entre deux tours (minutes)"), default=5, validators=[MaxValueValidator(240)]
    )
    first_round_at = models.DateTimeField(
        _("début du premier tour"),
        null=True,
        blank=True,
        help_text=_("Par défaut : le début de la rencontre."),
    )
    tables = models.PositiveSmallIntegerField(
        _("nombre de tables"), default=10, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    table_limits = models.JSONField(
        _("tables par tour"),
        default=list,
        blank=True,
        help_text=_("Facultatif : une limite de tables par tour, par exemple 10, 10, 8."),
    )
    wishes_deadline = models.DateTimeField(_("date limite des souhaits"))
    bipartite = models.BooleanField(
        _("associations avec entreprises"),
        default=True,
        help_text=_("Chaque rendez-vous réunit une association et une entreprise."),
    )
    max_meetings = models.PositiveSmallIntegerField(
        _("rendez-vous au plus par participant"), null=True, blank=True
    )
    state = models.CharField(_("état du planning"), max_length=12, choices=State.choices, default=State.DRAFT)
    planned_at = models.DateTimeField(_("planifié le"), null=True, blank=True)
    # Score: 3 points per "must meet" wish met, 1 per "would like to meet"; upper_bound: no plan can score more.
    total_value = models.FloatField(_("points du planning"), null=True, blank=True)
    upper_bound = models.FloatField(_("points au plus, quel que soit le planning"), null=True, blank=True)
    unmet_wishes = models.JSONField(_("souhaits non satisfaits"), default=list, blank=True)
    stats = models.JSONField(_("statistiques"), default=dict, blank=True)
    # The last planning job (terreau.meetings.tasks.plan): one runs at a time per speed-meeting, and only the
    # latest one may write its plan.
    planning_job = models.ForeignKey(
        "core.TrackedJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("calcul du planning"),
    )

    # The plan is computed as a draft, published as provisional, then final. A "move" to the current state
    # records a fact in the history (computed again, re-planned on the day). terreau.meetings.services.move
    # and terreau.meetings.plans move it, after their own, more specific checks.
    LIFECYCLE = states.Lifecycle(
        field="state",
        transitions={
            State.DRAFT: {State.PROVISIONAL},
            State.PROVISIONAL: {State.DRAFT, State.FINAL},
            State.FINAL: set(),
        },
        history="meetings.PlanChange",
        fk="speed_meeting",
        refusal=_("Le planning ne peut pas passer de « %(from)s » à « %(to)s »."),
        stay=True,
    )

    class Meta:
        verbose_name = _("rendez-vous d'affaires")
        verbose_name_plural = _("rendez-vous d'affaires")

    def __str__(self) -> str:
        return str(self.event)

    @property
    def start(self):
        return self.first_round_at or self.event.starts_at

    def round_starts_at(self, number: int):
        """Start of round `number` (0-based): first round + lengths and breaks of the rounds before."""
        return self.start + timedelta(minutes=number * (self.round_minutes + self.break_minutes))

    def round_ends_at(self, number: int):
        return self.round_starts_at(number) + timedelta(minutes=self.round_minutes)

    def round_times(self) -> list[tuple[int, object, object]]:
        return [(r, self.round_starts_at(r), self.round_ends_at(r)) for r in range(self.rounds)]

    def tables_per_round(self) -> list[int]:
        limits = list(self.table_limits or [])
        return [
            min(self.tables, int(limits[r])) if r < len(limits) and limits[r] else self.tables
            for r in range(self.rounds)
        ]

    def wishes_open(self, *, now=None) -> bool:
        return (now or timezone.now()) <= self.wishes_deadline

    def rounds_started(self, *, now=None) -> int:
        now = now or timezone.now()
        return sum(1 for r in range(self.rounds) if self.round_starts_at(r) <= now)

    @property
    def quality(self) -> float | None:
        if self.total_value is None or self.upper_bound is None:
            return None
        return 100.0 if not self.upper_bound else 100.0 * self.total_value / self.upper_bound

    @property
    def quality_at_least(self) -> float | None:
        """``quality`` rounded down to a tenth, so that "at least 92.3 %" stays true."""
        quality = self.quality
        return None if quality is None else min(100.0, int(quality * 10 + 1e-9) / 10)

    @property
    def is_published(self) -> bool:
        return self.state in (self.State.PROVISIONAL, self.State.FINAL)


class PlanChange(StateChange):
    """History of the plan: computed, published (provisional, final), re-planned on the day."""

    ACCESS = AccessRule(branch="speed_meeting__event__branch")

    speed_meeting = models.ForeignKey(SpeedMeeting, on_delete=models.CASCADE, related_name="history")
    details = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta(StateChange.Meta):
        verbose_name = _("changement du planning")
        verbose_name_plural = _("historique du planning")

    @property
    def to_state_label(self) -> str:
        return dict(SpeedMeeting.State.choices).get(self.to_state, self.to_state)


class Participation(TimeStampedModel):
    """A participant's availability (rounds they cannot attend) and absence on the day."""

    ACCESS = AccessRule(branch="registration__event__branch", organisation="registration__organisation")

    registration = models.OneToOneField(
        "events.Registration", on_delete=models.CASCADE, related_name="participation"
    )
    unavailable_rounds = models.JSONField(_("tours indisponibles"), default=list, blank=True)
    absent = models.BooleanField(_("absent le jour même"), default=False)
    absent_since_round = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")

    def __str__(self) -> str:
        return str(self.registration)


class Wish(TimeStampedModel):
    """Whom a participant wants to meet, directed from `source` to `target` (two registrations)."""

    ACCESS = AccessRule(branch="source__event__branch", organisation="source__organisation")

    class Level(models.TextChoices):
        MUST = "must", _("Je dois le rencontrer")
        LIKE = "like", _("J'aimerais le rencontrer")
        NO = "no", _("Non merci")

    # Weight of each level in the planner's input ("no thanks" vetoes the pair).
    WEIGHTS = {"must": 3, "like": 1}

    source = models.ForeignKey("events.Registration", on_delete=models.CASCADE, related_name="wishes_made")
    target = models.ForeignKey(
        "events.Registration", on_delete=models.CASCADE, related_name="wishes_received"
    )
    level = models.CharField(_("souhait"), max_length=4, choices=Level.choices)

    class Meta:
        verbose_name = _("souhait de rendez-vous")
        verbose_name_plural = _("souhaits de rendez-vous")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="meetings_unique_wish"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="meetings_wish_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source.name} → {self.target.name} ({self.level})"


class Meeting(models.Model):
    """One planned one-to-one meeting: round (0-based), table (1-based), two registrations."""

    ACCESS = AccessRule(
        branch="speed_meeting__event__branch", organisation=("a__organisation", "b__organisation")
    )

    speed_meeting = models.ForeignKey(SpeedMeeting, on_delete=models.CASCADE, related_name="meetings")
    round = models.PositiveSmallIntegerField(_("tour"))
    table = models.PositiveSmallIntegerField(_("table"))
    a = models.ForeignKey("events.Registration", on_delete=models.CASCADE, related_name="+")
    b = models.ForeignKey("events.Registration", on_delete=models.CASCADE, related_name="+")
    value = models.FloatField(_("valeur"), default=0)
    partnership = models.ForeignKey(
        "partnerships.Partnership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("rendez-vous")
        verbose_name_plural = _("rendez-vous")
        ordering = ["round", "table"]
        constraints = [
            models.UniqueConstraint(
                fields=["speed_meeting", "round", "table"], name="meetings_one_per_table"
            ),
            models.UniqueConstraint(fields=["speed_meeting", "a", "b"], name="meetings_pair_once"),
        ]

    def __str__(self) -> str:
        return f"{self.round + 1}/{self.table}: {self.a.name} × {self.b.name}"

    def other(self, registration):
        return self.b if registration.pk == self.a_id else self.a


class Feedback(TimeStampedModel):
    """One side's rating of a meeting after the event, and what follows."""

    ACCESS = AccessRule(
        branch="meeting__speed_meeting__event__branch", organisation="registration__organisation"
    )

    class FollowUp(models.TextChoices):
        NOTHING = "nothing", _("Pas de suite")
        FOLLOW_UP = "follow_up", _("Se revoir / échanger")
        PARTNERSHIP = "partnership", _("Construire un partenariat")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="feedback")
    registration = models.ForeignKey("events.Registration", on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(
        _("note"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    follow_up = models.CharField(_("suite"), max_length=12, choices=FollowUp.choices)
    comment = models.TextField(_("commentaire"), max_length=2000, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("avis sur un rendez-vous")
        verbose_name_plural = _("avis sur les rendez-vous")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "registration"], name="meetings_one_feedback_per_side"
            ),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="meetings_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} — {self.registration.name}: {self.rating}"
