"""Events (rencontres, ateliers, speed-meetings, online sessions) and the registrations to them.

An Event belongs to a Branch; a Registration is one person (optionally for an organisation) at one event,
with an explicit state and its history. Every state move goes through terreau.events.services, which holds
the capacity lock (select_for_update on the Event row). The speed-meeting layer builds on Event (kind
speed_meeting) and Registration (person + organisation).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terreau.core import states
from terreau.core.access import AccessRule, owned
from terreau.core.models import StateChange, TimeStampedModel


class EventQuerySet(models.QuerySet):
    def upcoming(self, *, now=None) -> EventQuerySet:
        return self.filter(ends_at__gte=now or timezone.now())

    def in_department(self, code: str) -> EventQuerySet:
        return self.filter(commune__department_id=code)

    def starting_between(self, start, end) -> EventQuerySet:
        return self.filter(starts_at__gte=start, starts_at__lt=end)


class Event(TimeStampedModel):
    # Its named organisers see and change it (run its registrations, check-in, speed-meeting planning) like
    # the branch's staff, but only this event; administering ("manage") stays with branch staff.
    ACCESS = AccessRule(branch="branch", public=Q(is_published=True), owner="organisers", many=True)

    class Kind(models.TextChoices):
        MEETING = "meeting", _("Rencontre")
        WORKSHOP = "workshop", _("Atelier")
        SPEED_MEETING = "speed_meeting", _("Rendez-vous d'affaires (speed-meeting)")
        ONLINE = "online", _("Session en ligne")

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("Tout public")
        ASSOCIATIONS = "associations", _("Associations")
        COMPANIES = "companies", _("Entreprises")

    branch = models.ForeignKey(
        "core.Branch", on_delete=models.PROTECT, related_name="events", verbose_name=_("antenne")
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.MEETING)
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("identifiant d'adresse"), max_length=220, unique=True)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    venue = models.CharField(_("lieu"), max_length=200, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    commune = models.ForeignKey(
        "territories.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("commune"),
    )
    online_url = models.URLField(_("lien de la session en ligne"), blank=True)
    capacity = models.PositiveIntegerField(_("nombre de places"), validators=[MinValueValidator(1)])
    registration_deadline = models.DateTimeField(
        _("date limite d'inscription"), null=True, blank=True, help_text=_("Par défaut : le début.")
    )
    audience = models.CharField(
        _("public visé"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="organised_events", verbose_name=_("organisateurs")
    )
    themes = models.ManyToManyField(
        "directory.Theme", blank=True, related_name="events", verbose_name=_("thèmes")
    )
    partnerships = models.ManyToManyField(
        "partnerships.Partnership",
        blank=True,
        related_name="events",
        verbose_name=_("partenariats et groupes de travail liés"),
    )
    is_published = models.BooleanField(_("publié"), default=False)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("rencontre")
        verbose_name_plural = _("rencontres")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["is_published", "starts_at"]),
            models.Index(fields=["branch", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:detail", kwargs={"slug": self.slug})

    @property
    def deadline(self):
        return self.registration_deadline or self.starts_at

    def registration_open(self, *, now=None) -> bool:
        return self.is_published and (now or timezone.now()) <= self.deadline

    @property
    def is_online(self) -> bool:
        return self.kind == self.Kind.ONLINE or (bool(self.online_url) and not self.address)

    @property
    def place(self) -> str:
        """Where it happens, in one line (venue, address, commune), or the online link."""
        parts = [self.venue, self.address, self.commune.name if self.commune_id else ""]
        text = ", ".join(p for p in parts if p)
        return text or self.online_url

    @property
    def duration_hours(self) -> float:
        return round((self.ends_at - self.starts_at).total_seconds() / 3600, 1)

    def seats_taken(self) -> int:
        return self.registrations.filter(status__in=Registration.SEATED).count()

    def speed_meeting_or_none(self):
        """The speed-meeting set up on this event (the meetings app's one-to-one), or None."""
        return getattr(self, "speed_meeting", None)

    def asks_side(self) -> bool:
        """Whether registering asks for a side: the event is a bipartite speed-meeting (bipartite is the
        default until the organisers set the speed-meeting up)."""
        if self.kind != Event.Kind.SPEED_MEETING:
            return False
        sm = self.speed_meeting_or_none()
        return sm is None or sm.bipartite

    def registration_of(self, user) -> Registration | None:
        """The signed-in user's own seated registration (their identity, through core access's owner path;
        not what they may see of others' registrations)."""
        return (
            owned(user, self.registrations.filter(status__in=Registration.SEATED))
            .select_related("organisation", "event")
            .order_by("pk")
            .first()
        )

    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken(), 0)


class Registration(TimeStampedModel):
    """One person at one event, with or without an account, for an organisation or not."""

    # Branch staff and the members of the organisation registered see it; so does the registrant (their own).
    ACCESS = AccessRule(branch="event__branch", organisation="organisation", owner="user")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de confirmation par e-mail")
        CONFIRMED = "confirmed", _("Confirmée")
        WAITLISTED = "waitlisted", _("Sur liste d'attente")
        CANCELLED = "cancelled", _("Annulée")
        ATTENDED = "attended", _("Présent")

    class Side(models.TextChoices):
        """Whom a registrant without a directory organisation comes for (bipartite speed-meetings). The
        values are the matching OrganisationKind values."""

        ASSOCIATION = "association", _("Une association")
        COMPANY = "company", _("Une entreprise")
        OTHER = "other", _("Autre")

    # States that hold a seat (counted against the capacity) and states that block a second registration.
    SEATED = ("confirmed", "attended")
    ACTIVE = ("pending", "confirmed", "waitlisted", "attended")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="event_registrations",
    )
    name = models.CharField(_("nom et prénom"), max_length=150)
    email = models.EmailField(_("adresse e-mail"))
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="event_registrations",
        verbose_name=_("organisation"),
    )
    organisation_name = models.CharField(_("organisation (texte libre)"), max_length=200, blank=True)
    side = models.CharField(
        _("représente"),
        max_length=12,
        choices=Side.choices,
        blank=True,
        help_text=_(
            "Déclaré à l'inscription à un speed-meeting associations-entreprises, sans structure de l'annuaire."
        ),
    )
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.PENDING)
    waitlisted_at = models.DateTimeField(_("mis sur liste d'attente le"), null=True, blank=True)
    attended_at = models.DateTimeField(_("présence constatée le"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reminded_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)

    # Every status change goes through terreau.core.states.move (called by terreau.events.services).
    LIFECYCLE = states.Lifecycle(
        field="status",
        transitions={
            Status.PENDING: {Status.CONFIRMED, Status.WAITLISTED, Status.CANCELLED},
            Status.WAITLISTED: {Status.CONFIRMED, Status.CANCELLED},
            Status.CONFIRMED: {Status.CANCELLED, Status.ATTENDED},
            Status.ATTENDED: {Status.CONFIRMED},
            Status.CANCELLED: set(),
        },
        history="events.RegistrationChange",
        fk="registration",
        refusal=_("Cette inscription ne peut pas passer de « %(from)s » à « %(to)s »."),
    )

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["event", "status"])]
        constraints = [
            # One active registration per e-mail address and event (e-mails are stored lower-case).
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=Q(status__in=["pending", "confirmed", "waitlisted", "attended"]),
                name="unique_active_registration",
            ),
            models.CheckConstraint(
                condition=Q(side__in=["", "association", "company", "other"]), name="registration_side_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} — {self.event}"

    @property
    def organisation_label(self) -> str:
        return self.organisation.name if self.organisation_id else self.organisation_name

    @property
    def represents(self) -> str:
        """What the registrant comes for: their organisation's kind, else the side they declared ("" if neither)."""
        if self.organisation_id:
            return self.organisation.get_kind_display()
        return self.get_side_display() if self.side else ""

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class RegistrationChange(StateChange):
    ACCESS = AccessRule(branch="registration__event__branch", organisation="registration__organisation")

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'inscription")
        verbose_name_plural = _("historique des inscriptions")

    @property
    def to_state_label(self) -> str:
        return dict(Registration.Status.choices).get(self.to_state, self.to_state)


class WorkshopItem(TimeStampedModel):
    """A line of a workshop's agenda, a note or a decision, in order."""

    ACCESS = AccessRule(branch="event__branch", public=Q(kind="agenda", event__is_published=True))

    class Kind(models.TextChoices):
        AGENDA = "agenda", _("Ordre du jour")
        NOTE = "note", _("Note")
        DECISION = "decision", _("Décision")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="workshop_items")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("texte"), max_length=5000)
    order = models.PositiveIntegerField(_("ordre"), default=0)
    themes = models.ManyToManyField("directory.Theme", blank=True, related_name="+", verbose_name=_("thèmes"))
    partnerships = models.ManyToManyField(
        "partnerships.Partnership", blank=True, related_name="workshop_items", verbose_name=_("partenariats")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("point d'atelier")
        verbose_name_plural = _("points d'atelier")
        ordering = ["kind", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.text[:60]}"


class WorkshopDocument(TimeStampedModel):
    """A document shared by the organisers of a workshop (branch staff and organisers only)."""

    ACCESS = AccessRule(branch="event__branch")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(_("fichier"), upload_to="events/documents/%Y/%m/")
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("document d'atelier")
        verbose_name_plural = _("documents d'atelier")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
