"""Activities of a collective program: civic-service missions, recurring sessions and their occurrences,
session reports, and the seniors who take part (participants, minimal personal data).

Access (terreau.core.access):
- missions, recurring sessions, sessions, reports: the branch's staff, the program's coordinators (and
  partner viewers read-only), the site's staff and volunteers (for site-bound rows), the volunteer
  themself (their own mission);
- participants and their attendance: ONLY the staff and volunteers of their site (branch_staff=False and no
  program path: neither the branch's facilitators, nor the program's coordinators, nor its partner viewers).
  Coordinators work with aggregated figures (dashboard), never with names.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terreau.activities import rules
from terreau.core import states
from terreau.core.access import AccessRule
from terreau.core.models import StateChange, TimeStampedModel


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("lundi")
    TUESDAY = 1, _("mardi")
    WEDNESDAY = 2, _("mercredi")
    THURSDAY = 3, _("jeudi")
    FRIDAY = 4, _("vendredi")
    SATURDAY = 5, _("samedi")
    SUNDAY = 6, _("dimanche")


class Mission(TimeStampedModel):
    """A civic-service mission (service civique) of a young volunteer in the program."""

    ACCESS = AccessRule(branch="program__branch", program="program", owner="user")

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="missions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="missions",
        verbose_name=_("compte du volontaire"),
    )
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    # The volunteer's own birth date (age rule); never a beneficiary's.
    birth_date = models.DateField(_("date de naissance"))
    has_disability = models.BooleanField(_("en situation de handicap (âge limite 30 ans)"), default=False)
    host_organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="civic_missions",
        verbose_name=_("structure d'accueil du volontaire"),
    )
    starts_on = models.DateField(_("début de mission"))
    ends_on = models.DateField(_("fin de mission"))
    weekly_hours = models.PositiveSmallIntegerField(_("heures par semaine"))
    # Weekly windows when the volunteer can run sessions: [{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}].
    availability = models.JSONField(_("disponibilités"), default=list, blank=True)
    home_commune = models.ForeignKey(
        "territories.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune de résidence"),
    )
    sites = models.ManyToManyField(
        "programs.HostSite", blank=True, related_name="missions", verbose_name=_("sites attribués")
    )
    training = models.TextField(_("formations suivies"), blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("mission de service civique")
        verbose_name_plural = _("missions de service civique")
        ordering = ["last_name", "first_name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="mission_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(
                    weekly_hours__gte=rules.WEEKLY_HOURS_MIN, weekly_hours__lte=rules.WEEKLY_HOURS_MAX
                ),
                name="mission_weekly_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def name(self) -> str:
        return str(self)

    def clean(self) -> None:
        errors = rules.mission_errors(
            birth_date=self.birth_date,
            has_disability=self.has_disability,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            weekly_hours=self.weekly_hours,
        )
        if errors:
            raise ValidationError(errors)


class RecurringSession(TimeStampedModel):
    """A weekly session at a site (every Tuesday 14:30, 90 minutes, 2 volunteers)."""

    ACCESS = AccessRule(branch="site__program__branch", program="site__program", site="site")

    site = models.ForeignKey("programs.HostSite", on_delete=models.CASCADE, related_name="recurring_sessions")
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    start_time = models.TimeField(_("heure de début"))
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), default=90)
    volunteers_needed = models.PositiveSmallIntegerField(_("volontaires nécessaires"), default=2)
    starts_on = models.DateField(_("à partir du"))
    ends_on = models.DateField(_("jusqu'au"), null=True, blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("séance hebdomadaire")
        verbose_name_plural = _("séances hebdomadaires")
        ordering = ["site__name", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="recurring_weekday_range"
            ),
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="recurring_duration_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.site} — {self.get_weekday_display()} {self.start_time:%H:%M}"


class SessionQuerySet(models.QuerySet):
    def in_month(self, year: int, month: int) -> SessionQuerySet:
        return self.filter(starts_at__year=year, starts_at__month=month)


class Session(TimeStampedModel):
    """One occurrence of a session at a site, with the volunteers who run it."""

    # Volunteers run the sessions of their sites: they report on them and may cancel one they cannot hold.
    ACCESS = AccessRule(
        branch="site__program__branch", program="site__program", site="site", volunteers_change=True
    )

    class Status(models.TextChoices):
        PLANNED = "planned", _("Prévue")
        HELD = "held", _("Tenue")
        CANCELLED = "cancelled", _("Annulée")

    site = models.ForeignKey("programs.HostSite", on_delete=models.CASCADE, related_name="sessions")
    recurring = models.ForeignKey(
        RecurringSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="occurrences"
    )
    starts_at = models.DateTimeField(_("début"))
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), default=90)
    volunteers_needed = models.PositiveSmallIntegerField(_("volontaires nécessaires"), default=2)
    volunteers = models.ManyToManyField(
        Mission, blank=True, related_name="sessions", verbose_name=_("volontaires")
    )
    status = models.CharField(_("état"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=300, blank=True)
    replaces = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replacement"
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    objects = SessionQuerySet.as_manager()

    # Planned, then held or cancelled (report, cancellation, closure, public holiday, weekly session changed);
    # a corrected report swaps held and cancelled. Changes go through terreau.core.states.move (SessionChange).
    LIFECYCLE = states.Lifecycle(
        field="status",
        transitions={
            Status.PLANNED: {Status.HELD, Status.CANCELLED},
            Status.HELD: {Status.CANCELLED},
            Status.CANCELLED: {Status.HELD},
        },
        history="activities.SessionChange",
        fk="session",
        refusal=_("La séance « %(object)s » ne peut pas passer de « %(from)s » à « %(to)s »."),
    )

    class Meta:
        verbose_name = _("séance")
        verbose_name_plural = _("séances")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["site", "starts_at"]), models.Index(fields=["starts_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recurring", "starts_at"],
                condition=Q(recurring__isnull=False),
                name="unique_session_occurrence",
            )
        ]

    def __str__(self) -> str:
        return f"{self.site} — {timezone.localtime(self.starts_at):%d/%m/%Y %H:%M}"

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def has_started(self) -> bool:
        """A report describes what happened: it may only be filed once the session has started."""
        return self.starts_at <= timezone.now()


class SessionChange(StateChange):
    """History of a session's state: who held or cancelled it, when, and why (the note)."""

    ACCESS = AccessRule(
        branch="session__site__program__branch", program="session__site__program", site="session__site"
    )

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'état d'une séance")
        verbose_name_plural = _("historique des séances")

    from_label = property(lambda self: states.label(Session, self.from_state) if self.from_state else "")
    to_label = property(lambda self: states.label(Session, self.to_state))


class SessionReport(TimeStampedModel):
    """What happened at a session, filled on a tablet by a volunteer or the site's staff."""

    ACCESS = AccessRule(
        branch="session__site__program__branch",
        program="session__site__program",
        site="session__site",
        volunteers_change=True,
    )

    class Activity(models.TextChoices):
        TABLET_BASICS = "tablet_basics", _("Prise en main de la tablette")
        VIDEO_CALLS = "video_calls", _("Appels vidéo avec la famille")
        PHOTOS = "photos", _("Photos")
        GAMES = "games", _("Jeux")
        CONSOLE_BOWLING = "console_bowling", _("Bowling sur console")
        INTERNET = "internet", _("Recherches sur internet")
        MUSIC = "music", _("Musique et vidéos")
        OTHER = "other", _("Autre")

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="report")
    held = models.BooleanField(_("séance tenue"), default=True)
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=300, blank=True)
    activities = models.JSONField(_("activités"), default=list, blank=True)
    equipment_used = models.JSONField(_("matériel utilisé"), default=list, blank=True)
    headcount = models.PositiveSmallIntegerField(_("nombre de participants"), default=0)
    duration_minutes = models.PositiveSmallIntegerField(_("durée réelle (minutes)"), default=0)
    observations = models.TextField(_("observations"), blank=True)
    incidents = models.TextField(_("incidents"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("compte rendu de séance")
        verbose_name_plural = _("comptes rendus de séance")

    def __str__(self) -> str:
        return str(self.session)

    def activity_labels(self) -> list[str]:
        labels = dict(self.Activity.choices)
        return [str(labels.get(code, code)) for code in self.activities]


class ParticipantQuerySet(models.QuerySet):
    def due_for_anonymisation(self, *, today) -> ParticipantQuerySet:
        """Not yet anonymised, and no participation (or registration) within the retention period."""
        limit = rules.add_months(today, -12 * rules.PARTICIPANT_RETENTION_YEARS)
        return self.filter(anonymised_at__isnull=True).filter(
            Q(last_participation_on__lt=limit) | Q(last_participation_on__isnull=True, consent_on__lt=limit)
        )


class Participant(TimeStampedModel):
    """A senior taking part in a site's sessions: the minimum (first name and initial, age band, consent).

    No health data, no birth date, no contact details. Erasure anonymises the row and keeps statistics.
    """

    ACCESS = AccessRule(
        branch="site__program__branch", site="site", branch_staff=False, volunteers_change=True
    )

    class AgeBand(models.TextChoices):
        UNDER_60 = "under_60", _("moins de 60 ans")
        B60 = "60_69", _("60 à 69 ans")
        B70 = "70_79", _("70 à 79 ans")
        B80 = "80_89", _("80 à 89 ans")
        B90 = "90_plus", _("90 ans et plus")
        UNKNOWN = "unknown", _("non renseignée")

    site = models.ForeignKey("programs.HostSite", on_delete=models.CASCADE, related_name="participants")
    first_name = models.CharField(_("prénom"), max_length=60)
    last_initial = models.CharField(_("initiale du nom"), max_length=1, blank=True)
    age_band = models.CharField(
        _("tranche d'âge"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    consent_on = models.DateField(_("date du consentement"), null=True, blank=True)
    consent_by = models.CharField(
        _("consentement recueilli par"),
        max_length=150,
        blank=True,
        help_text=_("Personne ayant recueilli l'accord."),
    )
    last_participation_on = models.DateField(_("dernière participation"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["first_name", "last_initial", "pk"]
        indexes = [models.Index(fields=["anonymised_at", "last_participation_on"])]

    def __str__(self) -> str:
        if self.anonymised_at:
            return str(_("Personne anonymisée"))
        return f"{self.first_name} {self.last_initial}." if self.last_initial else self.first_name


class Attendance(models.Model):
    """A registered (consenting) participant was present at a held session."""

    ACCESS = AccessRule(
        branch="report__session__site__program__branch",
        site="report__session__site",
        branch_staff=False,
        volunteers_change=True,
    )

    report = models.ForeignKey(SessionReport, on_delete=models.CASCADE, related_name="attendances")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="attendances")

    class Meta:
        verbose_name = _("présence")
        verbose_name_plural = _("présences")
        constraints = [models.UniqueConstraint(fields=["report", "participant"], name="unique_attendance")]

    def __str__(self) -> str:
        return f"{self.participant} — {self.report}"


class ReportIncidentQuerySet(models.QuerySet):
    def open_site_level(self) -> ReportIncidentQuerySet:
        """Incidents about a site rather than one item (no equipment life to follow): open until resolved."""
        return self.filter(site_level=True, resolved_at__isnull=True)


class ReportIncident(TimeStampedModel):
    """An incident noted in a session report: on a named item (forwarded to the item's life in
    terreau.programs.items, where it stays open until repaired or found) or explicitly about the site (open
    here until the coordination resolves it)."""

    ACCESS = AccessRule(
        branch="report__session__site__program__branch",
        program="report__session__site__program",
        site="report__session__site",
        volunteers_change=True,
    )

    report = models.ForeignKey(SessionReport, on_delete=models.CASCADE, related_name="incident_rows")

    class Kind(models.TextChoices):
        BROKEN = "broken", _("Cassé ou en panne")
        LOST = "lost", _("Perdu")
        STOLEN = "stolen", _("Volé")

    kind = models.CharField(_("nature"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("description"), max_length=500, blank=True)
    # Primary key of the programs.EquipmentItem concerned (no FK: the programs app migrates apart).
    item_ref = models.PositiveBigIntegerField(null=True, blank=True)
    item_label = models.CharField(_("matériel concerné"), max_length=200, blank=True)
    forwarded = models.BooleanField(_("transmis au suivi du matériel"), default=False)
    site_level = models.BooleanField(_("incident sur le site (pas un matériel précis)"), default=False)
    resolved_at = models.DateTimeField(_("résolu le"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ReportIncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident signalé")
        verbose_name_plural = _("incidents signalés")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # An incident names its item or is explicitly about the site: never neither.
            models.CheckConstraint(
                condition=Q(site_level=True) | Q(item_ref__isnull=False), name="report_incident_item_or_site"
            )
        ]

    def __str__(self) -> str:
        return self.note


class SiteMonthStats(models.Model):
    """Dashboard figures of one site for one month (local time), pre-aggregated from its sessions.

    Derived data only: terreau.activities.stats recomputes a bucket from the sessions, reports and
    volunteer assignments whenever one of them changes (in the same transaction), and can rebuild it all.
    """

    ACCESS = AccessRule(branch="site__program__branch", program="site__program", site="site")

    site = models.ForeignKey("programs.HostSite", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("mois"))
    planned = models.PositiveIntegerField(_("séances prévues"), default=0)
    held = models.PositiveIntegerField(_("séances tenues"), default=0)
    cancelled = models.PositiveIntegerField(_("séances annulées"), default=0)
    attendance = models.PositiveIntegerField(_("présences"), default=0)
    volunteer_minutes = models.PositiveIntegerField(_("minutes de volontariat"), default=0)

    class Meta:
        verbose_name = _("statistiques mensuelles d'un site")
        verbose_name_plural = _("statistiques mensuelles des sites")
        constraints = [models.UniqueConstraint(fields=["site", "month"], name="unique_site_month_stats")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.month:%Y-%m}"


class SiteClosure(TimeStampedModel):
    """A period when a host site is closed (works, summer closure...): no session is generated nor planned."""

    ACCESS = AccessRule(branch="site__program__branch", program="site__program", site="site")

    site = models.ForeignKey("programs.HostSite", on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField(_("fermé du"))
    ends_on = models.DateField(_("au (inclus)"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("fermeture d'un site")
        verbose_name_plural = _("fermetures des sites")
        ordering = ["site__name", "starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="site_closure_dates")
        ]

    def __str__(self) -> str:
        return f"{self.site} — {self.starts_on:%d/%m/%Y} → {self.ends_on:%d/%m/%Y}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("La fin de la fermeture précède son début.")})


class VolunteerAbsence(TimeStampedModel):
    """A period when a volunteer is away (leave, training, illness): the planner assigns them nothing."""

    ACCESS = AccessRule(branch="mission__program__branch", program="mission__program", owner="mission__user")

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="absences")
    starts_on = models.DateField(_("absent du"))
    ends_on = models.DateField(_("au (inclus)"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence d'un volontaire")
        verbose_name_plural = _("absences des volontaires")
        ordering = ["mission", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="volunteer_absence_dates"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mission} — {self.starts_on:%d/%m/%Y} → {self.ends_on:%d/%m/%Y}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("La fin de l'absence précède son début.")})
