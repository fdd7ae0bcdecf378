"""Contact requests between organisations and the partnership pipeline that follows them.

Organisation → Need / Offer → Suggestion (matching) → ContactRequest → Partnership. Both lifecycles are
explicit states with a history, declared with terreau.core.states (LIFECYCLE); moves go through the service
functions in terreau.partnerships.services.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terreau.core import states
from terreau.core.access import AccessRule
from terreau.core.models import StateChange, TimeStampedModel


class ContactRequestQuerySet(models.QuerySet):
    def pending(self) -> ContactRequestQuerySet:
        return self.filter(status=ContactRequest.Status.PENDING)

    def overdue(self, *, now=None) -> ContactRequestQuerySet:
        return self.pending().filter(expires_at__lte=now or timezone.now())

    def involving(self, org_ids) -> ContactRequestQuerySet:
        return self.filter(Q(sender_id__in=org_ids) | Q(recipient_id__in=org_ids))


class ContactRequest(TimeStampedModel):
    """Organisation X proposes a contact to organisation Y about a need and an offer."""

    # Members of either organisation, and the staff of either branch, may see it.
    ACCESS = AccessRule(branch=("sender__branch", "recipient__branch"), organisation=("sender", "recipient"))

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de réponse")
        ACCEPTED = "accepted", _("Acceptée")
        DECLINED = "declined", _("Déclinée")
        EXPIRED = "expired", _("Expirée")
        WITHDRAWN = "withdrawn", _("Retirée")

    sender = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="contact_requests_sent"
    )
    recipient = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="contact_requests_received"
    )
    need = models.ForeignKey(
        "directory.NeedOffer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offer = models.ForeignKey(
        "directory.NeedOffer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(_("message"), max_length=2000, blank=True)
    reasons = models.JSONField(_("raisons de la suggestion"), default=list, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("expire le"))
    answered_at = models.DateTimeField(_("répondu le"), null=True, blank=True)
    answer = models.TextField(_("réponse"), max_length=2000, blank=True)

    objects = ContactRequestQuerySet.as_manager()

    # A request is answered (or expires, or is withdrawn) once; terreau.partnerships.services moves it.
    LIFECYCLE = states.Lifecycle(
        field="status",
        transitions={
            Status.PENDING: {Status.ACCEPTED, Status.DECLINED, Status.EXPIRED, Status.WITHDRAWN},
            Status.ACCEPTED: set(),
            Status.DECLINED: set(),
            Status.EXPIRED: set(),
            Status.WITHDRAWN: set(),
        },
        history="partnerships.ContactRequestChange",
        fk="request",
        refusal=_("Cette demande ne peut pas passer de « %(from)s » à « %(to)s »."),
    )

    class Meta:
        verbose_name = _("demande de mise en relation")
        verbose_name_plural = _("demandes de mise en relation")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(sender=models.F("recipient")), name="contact_request_not_self"
            ),
            models.UniqueConstraint(
                fields=["sender", "recipient", "need", "offer"],
                condition=Q(status="pending"),
                name="unique_pending_contact_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.recipient}"

    @staticmethod
    def default_expiry(now=None):
        return (now or timezone.now()) + timedelta(days=settings.TERREAU_CONTACT_REQUEST_EXPIRY_DAYS)


class ContactRequestChange(StateChange):
    ACCESS = AccessRule(
        branch=("request__sender__branch", "request__recipient__branch"),
        organisation=("request__sender", "request__recipient"),
    )

    request = models.ForeignKey(ContactRequest, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'une demande")
        verbose_name_plural = _("historique des demandes")


class PartnershipQuerySet(models.QuerySet):
    def of_organisations(self, org_ids) -> PartnershipQuerySet:
        """Partnerships one of these organisations is a partner of, each once."""
        return self.filter(
            pk__in=Partnership.partners.through.objects.filter(organisation_id__in=org_ids).values(
                "partnership_id"
            )
        )


class Partnership(TimeStampedModel):
    """A partnership followed by the branch's facilitators through its stages."""

    ACCESS = AccessRule(branch="branch", organisation="partners", many=True)

    class Stage(models.TextChoices):
        CONTACT = "contact", _("Prise de contact")
        DISCUSSION = "discussion", _("Discussion")
        AGREEMENT = "agreement", _("Accord")
        ACTIVE = "active", _("Actif")
        ENDED = "ended", _("Terminé")

    class Kind(models.TextChoices):
        """Le RAMEAU's four kinds of company-association partnership."""

        GIVING = "giving", _("Mécénat (financier, en nature, de compétences)")
        RESPONSIBLE_PRACTICES = "practices", _("Pratiques responsables")
        ECONOMIC_COOPERATION = "cooperation", _("Coopération économique")
        SOCIETAL_INNOVATION = "innovation", _("Innovation sociétale")

    class Origin(models.TextChoices):
        CONTACT_REQUEST = "contact_request", _("Mise en relation")
        EVENT = "event", _("Rencontre")
        MANUAL = "manual", _("Saisie par l'antenne")

    branch = models.ForeignKey("core.Branch", on_delete=models.PROTECT, related_name="partnerships")
    title = models.CharField(_("intitulé"), max_length=200)
    partners = models.ManyToManyField("directory.Organisation", related_name="partnerships")
    kind = models.CharField(_("type de partenariat"), max_length=12, choices=Kind.choices, blank=True)
    stage = models.CharField(_("étape"), max_length=12, choices=Stage.choices, default=Stage.CONTACT)
    origin = models.CharField(_("origine"), max_length=16, choices=Origin.choices, default=Origin.MANUAL)
    contact_request = models.OneToOneField(
        ContactRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="partnership"
    )
    needs_offers = models.ManyToManyField("directory.NeedOffer", blank=True, related_name="partnerships")
    notes = models.TextField(_("notes de suivi"), blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    objects = PartnershipQuerySet.as_manager()

    # Stages move forward one step at a time, may step back one, and may end at any point; an ended
    # partnership may become active again. terreau.partnerships.services moves them.
    LIFECYCLE = states.Lifecycle(
        field="stage",
        transitions={
            Stage.CONTACT: {Stage.DISCUSSION, Stage.ENDED},
            Stage.DISCUSSION: {Stage.CONTACT, Stage.AGREEMENT, Stage.ENDED},
            Stage.AGREEMENT: {Stage.DISCUSSION, Stage.ACTIVE, Stage.ENDED},
            Stage.ACTIVE: {Stage.AGREEMENT, Stage.ENDED},
            Stage.ENDED: {Stage.ACTIVE},
        },
        history="partnerships.PartnershipStageChange",
        fk="partnership",
        refusal=_("Passage de l'étape « %(from)s » à l'étape « %(to)s » impossible."),
    )

    class Meta:
        verbose_name = _("partenariat")
        verbose_name_plural = _("partenariats")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title


STAGE_ORDER = [s.value for s in Partnership.Stage]


def allowed_stages(current: str) -> list[str]:
    """The stages a partnership at stage ``current`` may move to, in pipeline order."""
    targets = Partnership.LIFECYCLE.targets(current)
    return [s for s in STAGE_ORDER if s in targets]


def next_stage(current: str) -> str | None:
    """The stage a partnership at stage ``current`` moves forward to (not its end), None when there is none:
    the workspace's stage form proposes it first rather than a step back."""
    after = STAGE_ORDER[STAGE_ORDER.index(current) + 1 :] if current in STAGE_ORDER else []
    return next((s for s in allowed_stages(current) if s in after and s != Partnership.Stage.ENDED), None)


class PartnershipStageChange(StateChange):
    ACCESS = AccessRule(branch="partnership__branch", organisation="partnership__partners", many=True)

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'étape")
        verbose_name_plural = _("historique des étapes")

    @property
    def from_label(self) -> str:
        return states.label(Partnership, self.from_state) if self.from_state else ""

    @property
    def to_label(self) -> str:
        return states.label(Partnership, self.to_state)


# The partnership's workspace: what its partners' members (and the branch's staff) share once a contact is made.
# Each row reaches the branch through its partnership and is seen and written by the members of either partner.
WORKSPACE_ACCESS = AccessRule(branch="partnership__branch", organisation="partnership__partners", many=True)


class PartnershipMessage(models.Model):
    """A message of the partnership's thread; the contact request's message and its answer open it."""

    ACCESS = WORKSPACE_ACCESS

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The partner the author wrote for; empty for the branch's staff.
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(_("message"), max_length=5000)
    # Not auto_now_add: the request's message keeps the date it was sent.
    created_at = models.DateTimeField(_("envoyé le"), default=timezone.now)

    class Meta:
        verbose_name = _("message du partenariat")
        verbose_name_plural = _("messages du partenariat")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]


class PartnershipStep(TimeStampedModel):
    """A next step agreed between the partners: what, who (a member of one of them) and by when."""

    ACCESS = WORKSPACE_ACCESS

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="steps")
    title = models.CharField(_("action"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsable"),
    )
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    done_at = models.DateTimeField(_("faite le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("prochaine étape")
        verbose_name_plural = _("prochaines étapes")
        ordering = [
            models.F("done_at").asc(nulls_first=True),
            models.F("due_date").asc(nulls_last=True),
            "pk",
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def done(self) -> bool:
        return self.done_at is not None


class PartnershipDocument(TimeStampedModel):
    """A document shared between the partners (agreement draft, presentation...)."""

    ACCESS = WORKSPACE_ACCESS

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(_("fichier"), upload_to="partnerships/documents/%Y/%m/")
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("document du partenariat")
        verbose_name_plural = _("documents du partenariat")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title
