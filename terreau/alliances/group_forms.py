"""Forms of the working groups' pages; every choice is limited to what the user may see (terreau.core.access)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from terreau.alliances.group_models import GroupMember, GroupPledge, GroupTask, WorkingGroup
from terreau.alliances.models import KeyIssue
from terreau.core.access import branches_managed, visible
from terreau.core.dates import BoundedDatesMixin
from terreau.directory.models import Direction, NeedOffer, Organisation
from terreau.events.models import Event

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _issues(user: Any, branch_ids: Any) -> Any:
    return visible(user, KeyIssue.objects.filter(diagnosis__branch__in=branch_ids)).select_related(
        "diagnosis"
    )


class IssueChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: KeyIssue) -> str:
        return f"{obj.title} ({obj.diagnosis.title})"


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Nom du groupe"), max_length=200)
    purpose = forms.CharField(
        label=_("Objet"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    key_issues = IssueChoice(
        label=_("Enjeux clés"),
        queryset=KeyIssue.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_open = forms.BooleanField(
        label=_("Ouvert aux demandes d'adhésion (sa présentation devient publique)"), required=False
    )

    def __init__(
        self, *args: Any, user: Any, branch_ids: Any, group: WorkingGroup | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        issues = _issues(user, branch_ids)
        if group is not None:  # its own key issues stay offered to its leads (published or not)
            issues = (issues | KeyIssue.objects.filter(working_groups=group)).distinct()
        self.fields["key_issues"].queryset = issues


class GroupCreateForm(GroupForm):
    branch = forms.ModelChoiceField(label=_("Antenne"), queryset=None)
    lead = forms.ModelChoiceField(
        label=_("Structure pilote"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        branches = branches_managed(user)
        super().__init__(*args, user=user, branch_ids=branches, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["lead"].queryset = visible(
            user, Organisation.objects.filter(branch__in=branches)
        ).order_by("name")
        self.order_fields(["branch", "name", "purpose", "key_issues", "lead", "is_open"])


class MergeForm(forms.Form):
    sources = forms.ModelMultipleChoiceField(
        label=_("Groupes à fusionner"),
        queryset=WorkingGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    into = forms.ModelChoiceField(
        label=_("Dans le groupe existant"),
        queryset=WorkingGroup.objects.none(),
        required=False,
        help_text=_("Laissez vide pour créer un nouveau groupe."),
    )
    name = forms.CharField(label=_("Ou nom du nouveau groupe"), max_length=200, required=False)
    reason = forms.CharField(
        label=_("Raison de la fusion"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Merged groups stay listed: choosing one is refused with a message saying where it went.
        groups = WorkingGroup.objects.filter(branch__in=branches_managed(user)).order_by("name")
        self.fields["sources"].queryset = groups
        self.fields["into"].queryset = groups


class MemberForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Structure"), queryset=Organisation.objects.none())
    role = forms.ChoiceField(
        label=_("Rôle"), choices=GroupMember.Role.choices, initial=GroupMember.Role.MEMBER
    )

    def __init__(self, *args: Any, user: Any, group: WorkingGroup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        orgs = visible(user, Organisation.objects.all()).exclude(group_memberships__group=group)
        self.fields["organisation"].queryset = orgs.filter(branch=group.branch).order_by("name")


class MemberChangeForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Rôle"), choices=[*GroupMember.Role.choices, ("remove", _("Retirer du groupe"))]
    )


class JoinForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Au nom de"), queryset=Organisation.objects.none())
    message = forms.CharField(
        label=_("Message"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class AnswerForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Réponse"), choices=[("1", _("Accepter")), ("0", _("Décliner"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label=_("Message"), max_length=500, required=False)


class DecisionForm(BoundedDatesMixin, forms.Form):
    text = forms.CharField(label=_("Décision"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    decided_on = forms.DateField(label=_("Date"), widget=DATE)


class TaskForm(BoundedDatesMixin, forms.Form):
    title = forms.CharField(label=_("Tâche"), max_length=200)
    owner = forms.ModelChoiceField(label=_("Responsable"), queryset=None, required=False)
    due_on = forms.DateField(label=_("Échéance"), required=False, widget=DATE)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.email


class TaskMoveForm(forms.Form):
    to = forms.ChoiceField(label=_("Nouvel état"), choices=GroupTask.State.choices)


class MeetingForm(BoundedDatesMixin, forms.Form):
    title = forms.CharField(label=_("Objet"), max_length=200)
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    event = forms.ModelChoiceField(
        label=_("Rencontre ou atelier Terreau"), queryset=Event.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("Compte rendu"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: Any, group: WorkingGroup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = visible(user, Event.objects.filter(branch=group.branch)).order_by(
            "-starts_at"
        )


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200, required=False)
    file = forms.FileField(label=_("Fichier"))


class DocumentEditForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    file = forms.FileField(
        label=_("Remplacer le fichier (facultatif)"),
        required=False,
        help_text=_("PDF, ODT, DOCX, XLSX, image ; 10 Mo au plus. Laissez vide pour garder le fichier."),
    )


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Raison de la clôture"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(forms.Form):
    note = forms.CharField(label=_("Commentaire (facultatif)"), max_length=500, required=False)


class PledgeForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Structure"), queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=_("Nature de l'apport"), choices=GroupPledge.Kind.choices)
    description = forms.CharField(
        label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    offer = forms.ModelChoiceField(
        label=_("Ressource de l'annuaire (facultatif)"), queryset=NeedOffer.objects.none(), required=False
    )

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:  # a member of one organisation pledges in its name without choosing
            self.fields["organisation"].empty_label = None
        self.fields["offer"].queryset = NeedOffer.objects.filter(
            organisation__in=organisations, direction=Direction.OFFER
        ).order_by("title")
