"""Alliance building, second stage: working groups (that may merge) and the collective's charter.

A WorkingGroup forms around key issues of a diagnosis: member organisations (and people) with a role, requests
to join, meetings linked to Terreau's events and workshops, decisions, tasks, documents and what each member
pledges to bring. Two or more groups merge into one (GroupMerge): what they held moves to the result with its
provenance (``came_from``), and the sources stay, "merged", pointing at it. A group writes its Charter in
versions; each partner of a submitted version approves it; an approved version launches the program
(``Charter.program``: alliances point down to programs, never the other way).

Who sees what (terreau.core.access): the branch's staff everything; the member organisations their group and
what hangs from it; an open group (``is_open``) shows a public summary so that an organisation may ask to
join; the partners of a charter's version see that charter. Who may do what inside a group (a lead manages it,
a member edits their own pledges) is decided in terreau.alliances.groups.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from terreau.core import states
from terreau.core.access import AccessRule
from terreau.core.models import Branch, StateChange, TimeStampedModel

# Rows that hang from a group: seen by the branch's staff and the group's member organisations.
IN_GROUP = AccessRule(branch="group__branch", organisation="group__members__organisation", many=True)


class WorkingGroup(TimeStampedModel):
    class State(models.TextChoices):
        ACTIVE = "active", _("Actif")
        MERGED = "merged", _("Fusionné")
        CLOSED = "closed", _("Clos")

    ACCESS = AccessRule(
        branch="branch", organisation="members__organisation", public=Q(is_open=True), many=True
    )

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="working_groups")
    diagnosis = models.ForeignKey(
        "alliances.Diagnosis",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="working_groups",
        verbose_name=_("diagnostic"),
    )
    key_issues = models.ManyToManyField(
        "alliances.KeyIssue",
        through="alliances.GroupKeyIssue",
        through_fields=("group", "key_issue"),
        blank=True,
        related_name="working_groups",
        verbose_name=_("enjeux clés"),
    )
    name = models.CharField(_("nom"), max_length=200)
    purpose = models.TextField(_("objet"), max_length=4000, blank=True)
    is_open = models.BooleanField(
        _("ouvert aux demandes d'adhésion"),
        default=False,
        help_text=_(
            "Sa présentation est alors visible de tous, et toute structure peut demander à le rejoindre."
        ),
    )
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.ACTIVE)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("fusionné dans"),
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    LIFECYCLE = states.Lifecycle(
        field="state",
        transitions={
            State.ACTIVE: {State.MERGED, State.CLOSED},
            State.CLOSED: {State.ACTIVE},
            State.MERGED: set(),
        },
        history="alliances.WorkingGroupChange",
        fk="group",
        refusal=_("Le groupe « %(object)s » ne peut pas passer de « %(from)s » à « %(to)s »."),
    )

    class Meta:
        verbose_name = _("groupe de travail")
        verbose_name_plural = _("groupes de travail")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="merged", merged_into__isnull=False)
                | (~Q(state="merged") & Q(merged_into__isnull=True)),
                name="group_merged_has_result",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def final(self) -> WorkingGroup:
        """The group this one ended up in after its merges (itself when it was never merged)."""
        group, seen = self, {self.pk}
        while group.merged_into_id is not None and group.merged_into_id not in seen:
            seen.add(group.merged_into_id)
            group = group.merged_into
        return group


class WorkingGroupChange(StateChange):
    ACCESS = IN_GROUP

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'un groupe de travail")
        verbose_name_plural = _("historique des groupes de travail")


class GroupKeyIssue(models.Model):
    """A key issue the group works on; ``came_from``: the group it was brought from by a merge."""

    ACCESS = IN_GROUP

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="issue_links")
    key_issue = models.ForeignKey("alliances.KeyIssue", on_delete=models.CASCADE, related_name="group_links")
    came_from = models.ForeignKey(
        WorkingGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("venu de"),
    )

    class Meta:
        verbose_name = _("enjeu du groupe")
        verbose_name_plural = _("enjeux du groupe")
        constraints = [
            models.UniqueConstraint(fields=["group", "key_issue"], name="one_link_per_group_issue")
        ]

    def __str__(self) -> str:
        return f"{self.group} · {self.key_issue}"


class GroupMember(TimeStampedModel):
    class Role(models.TextChoices):
        LEAD = "lead", _("Pilote")
        MEMBER = "member", _("Membre")

    ACCESS = IN_GROUP

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="members")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="group_memberships"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("personne référente"),
    )
    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("arrivé le"), auto_now_add=True)
    came_from = models.ForeignKey(
        WorkingGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("venu de"),
    )

    class Meta:
        verbose_name = _("membre du groupe")
        verbose_name_plural = _("membres du groupe")
        ordering = ["role", "organisation__name", "pk"]
        constraints = [models.UniqueConstraint(fields=["group", "organisation"], name="one_member_per_org")]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"


class JoinRequest(TimeStampedModel):
    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        ACCEPTED = "accepted", _("Acceptée")
        DECLINED = "declined", _("Déclinée")

    # The asking organisation follows its request; the group's members see the requests made to it.
    ACCESS = AccessRule(
        branch="group__branch", organisation=("organisation", "group__members__organisation"), many=True
    )

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="join_requests")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.CASCADE, related_name="+")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(_("message"), max_length=2000, blank=True)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PENDING)

    LIFECYCLE = states.Lifecycle(
        field="state",
        transitions={
            State.PENDING: {State.ACCEPTED, State.DECLINED},
            State.ACCEPTED: set(),
            State.DECLINED: set(),
        },
        history="alliances.JoinRequestChange",
        fk="request",
        refusal=_("Cette demande a déjà reçu une réponse (« %(from)s »)."),
    )

    class Meta:
        verbose_name = _("demande d'adhésion")
        verbose_name_plural = _("demandes d'adhésion")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "organisation"],
                condition=Q(state="pending"),
                name="one_pending_join_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.group}"


class JoinRequestChange(StateChange):
    ACCESS = AccessRule(
        branch="request__group__branch",
        organisation=("request__organisation", "request__group__members__organisation"),
        many=True,
    )

    request = models.ForeignKey(JoinRequest, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("réponse à une demande d'adhésion")
        verbose_name_plural = _("historique des demandes d'adhésion")


class Provenance(models.Model):
    """What a merge may move to another group: where it was first written."""

    came_from = models.ForeignKey(
        WorkingGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("venu de"),
    )

    class Meta:
        abstract = True


class GroupMeeting(Provenance, TimeStampedModel):
    ACCESS = IN_GROUP

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(_("objet"), max_length=200)
    held_on = models.DateField(_("date"))
    event = models.ForeignKey(
        "events.Event",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="group_meetings",
        verbose_name=_("rencontre ou atelier Terreau"),
    )
    notes = models.TextField(_("compte rendu"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("réunion du groupe")
        verbose_name_plural = _("réunions du groupe")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.title


class GroupDecision(Provenance, TimeStampedModel):
    ACCESS = IN_GROUP

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("décision"), max_length=2000)
    decided_on = models.DateField(_("décidée le"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("décision du groupe")
        verbose_name_plural = _("décisions du groupe")
        ordering = ["-decided_on", "-pk"]

    def __str__(self) -> str:
        return self.text[:80]


class GroupTask(Provenance, TimeStampedModel):
    class State(models.TextChoices):
        TODO = "todo", _("À faire")
        DOING = "doing", _("En cours")
        DONE = "done", _("Faite")
        DROPPED = "dropped", _("Abandonnée")

    ACCESS = IN_GROUP

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("tâche"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsable"),
    )
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.TODO)

    LIFECYCLE = states.Lifecycle(
        field="state",
        transitions={
            State.TODO: {State.DOING, State.DONE, State.DROPPED},
            State.DOING: {State.TODO, State.DONE, State.DROPPED},
            State.DONE: {State.DOING},
            State.DROPPED: {State.TODO},
        },
        history="alliances.GroupTaskChange",
        fk="task",
    )

    class Meta:
        verbose_name = _("tâche du groupe")
        verbose_name_plural = _("tâches du groupe")
        ordering = ["state", "due_on", "pk"]

    def __str__(self) -> str:
        return self.title


class GroupTaskChange(StateChange):
    ACCESS = AccessRule(
        branch="task__group__branch", organisation="task__group__members__organisation", many=True
    )

    task = models.ForeignKey(GroupTask, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'une tâche")
        verbose_name_plural = _("historique des tâches")


class GroupDocument(Provenance, TimeStampedModel):
    ACCESS = IN_GROUP

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(_("fichier"), upload_to="alliances/groups/%Y/%m/")
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("document du groupe")
        verbose_name_plural = _("documents du groupe")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class GroupPledge(Provenance, TimeStampedModel):
    """What a member organisation offers to bring to the collective project."""

    class Kind(models.TextChoices):
        SKILLS_VOLUNTEERING = "skills_volunteering", _("Bénévolat de compétences")
        SKILLS_SPONSORSHIP = "skills_sponsorship", _("Mécénat de compétences")
        EQUIPMENT = "equipment", _("Matériel")
        MONEY = "money", _("Financement")
        PREMISES = "premises", _("Locaux")

    ACCESS = IN_GROUP

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="pledges")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("nature"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), max_length=2000)
    offer = models.ForeignKey(
        "directory.NeedOffer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="group_pledges",
        verbose_name=_("ressource de l'annuaire"),
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("apport d'un membre")
        verbose_name_plural = _("apports des membres")
        ordering = ["organisation__name", "kind", "pk"]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_kind_display()}"


class GroupMerge(models.Model):
    """Two or more groups merged into one, with the reason: who, when."""

    ACCESS = AccessRule(branch="result__branch", organisation="result__members__organisation", many=True)

    result = models.ForeignKey(WorkingGroup, on_delete=models.PROTECT, related_name="merges")
    sources = models.ManyToManyField(WorkingGroup, related_name="+", verbose_name=_("groupes fusionnés"))
    reason = models.TextField(_("raison"), max_length=2000)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("le"), auto_now_add=True)
    # What moved, counted when the merge was made: {"members": 3, "tasks": 2, ...}.
    moved = models.JSONField(_("éléments repris"), default=dict, blank=True)

    class Meta:
        verbose_name = _("fusion de groupes")
        verbose_name_plural = _("fusions de groupes")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"→ {self.result}"


# Imported here so that Django registers the charter's models with the app.
from terreau.alliances.charter_models import (  # noqa: E402
    Charter,
    CharterApproval,
    CharterPartner,
    CharterVersion,
    CharterVersionChange,
)
from terreau.alliances.group_log_models import GroupLogEntry  # noqa: E402

__all__ = [
    "Charter",
    "CharterApproval",
    "CharterPartner",
    "CharterVersion",
    "CharterVersionChange",
    "GroupDecision",
    "GroupDocument",
    "GroupKeyIssue",
    "GroupLogEntry",
    "GroupMeeting",
    "GroupMember",
    "GroupMerge",
    "GroupPledge",
    "GroupTask",
    "GroupTaskChange",
    "JoinRequest",
    "JoinRequestChange",
    "WorkingGroup",
    "WorkingGroupChange",
]
