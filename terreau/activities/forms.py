"""Forms of the activities pages (no filtering or permission logic: querysets come from the views)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from terreau.activities import rules
from terreau.activities.missions import windows_from_text, windows_to_text
from terreau.activities.models import Mission, Participant, RecurringSession, ReportIncident, SessionReport
from terreau.activities.recurring import RECURRING_FIELDS
from terreau.activities.reports import headcount_message
from terreau.core.dates import BoundedDatesMixin, QueryDateError, parse_month
from terreau.territories.forms import CommuneField


class MonthForm(forms.Form):
    month = forms.CharField(
        label=_("Mois"), widget=forms.DateInput(attrs={"type": "month"}), help_text=_("Format AAAA-MM.")
    )

    def clean_month(self) -> date:
        try:
            month = parse_month(self.cleaned_data["month"])
        except QueryDateError as err:
            raise ValidationError(err.message) from None
        if month is None:
            raise ValidationError(_("Indiquez un mois au format AAAA-MM."))
        return month


class WindowsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value):
        return windows_from_text(super().to_python(value) or "")

    def prepare_value(self, value):
        return windows_to_text(value) if isinstance(value, list) else value


class MissionForm(BoundedDatesMixin, forms.ModelForm):
    birth_date_fields = ("birth_date",)
    home_commune = CommuneField(label=_("Commune de résidence"), required=False)
    availability = WindowsField(
        label=_("Disponibilités"),
        required=False,
        help_text=_("Une ligne par créneau, par exemple « mardi 14:00-17:00 »."),
    )

    class Meta:
        model = Mission
        fields = [
            "first_name",
            "last_name",
            "birth_date",
            "has_disability",
            "user",
            "host_organisation",
            "starts_on",
            "ends_on",
            "weekly_hours",
            "availability",
            "home_commune",
            "sites",
            "training",
        ]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "sites": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "weekly_hours": _("De %(min)s à %(max)s heures (%(minor)s heures au plus avant 18 ans).")
            % {
                "min": rules.WEEKLY_HOURS_MIN,
                "max": rules.WEEKLY_HOURS_MAX,
                "minor": rules.WEEKLY_HOURS_MAX_MINOR,
            },
        }

    def __init__(self, *args, sites, organisations, users, communes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = sites
        self.fields["host_organisation"].queryset = organisations
        self.fields["user"].queryset = users
        self.fields["home_commune"].queryset = communes


class RecurringSessionForm(BoundedDatesMixin, forms.ModelForm):
    class Meta:
        model = RecurringSession
        fields = list(RECURRING_FIELDS)  # what recurring_update may change
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, sites, lock_site: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        if lock_site:
            # Occurrences exist: their reports and figures belong to this site (end it, create another).
            self.fields["site"].disabled = True
            self.fields["site"].help_text = _(
                "Des séances ont déjà été créées à ce site : pour changer de site, arrêtez cette séance "
                "hebdomadaire et créez-en une nouvelle."
            )

    def clean(self):
        data = super().clean()
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("La fin doit suivre le début."))
        if data.get("duration_minutes") is not None and not 15 <= data["duration_minutes"] <= 480:
            self.add_error("duration_minutes", _("Une séance dure entre 15 minutes et 8 heures."))
        return data


class RecurringEndForm(BoundedDatesMixin, forms.Form):
    stop_from = forms.DateField(
        label=_("Plus de séance à partir du"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_(
            "Les séances prévues à partir de cette date sont annulées ; celles qui ont un compte rendu "
            "sont conservées."
        ),
    )
    reason = forms.CharField(label=_("Motif (facultatif)"), max_length=200, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Motif de l'annulation"), max_length=300)


class ReplaceForm(BoundedDatesMixin, forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Nouvelle date et heure"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
    )


class ReportForm(forms.Form):
    held = forms.TypedChoiceField(
        label=_("La séance a-t-elle eu lieu ?"),
        choices=[("1", _("Oui, elle a eu lieu")), ("0", _("Non, elle a été annulée"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    cancel_reason = forms.CharField(label=_("Motif de l'annulation"), max_length=300, required=False)
    activities = forms.MultipleChoiceField(
        label=_("Activités"),
        choices=SessionReport.Activity.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    equipment_used = forms.MultipleChoiceField(
        label=_("Matériel utilisé"),
        choices=[
            ("tablet", _("Tablettes")),
            ("console", _("Console de jeux")),
            ("projector", _("Vidéoprojecteur")),
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    headcount = forms.IntegerField(label=_("Nombre de participants"), min_value=0, max_value=500, initial=0)
    duration_minutes = forms.IntegerField(label=_("Durée réelle (minutes)"), min_value=0, max_value=600)
    participants = forms.ModelMultipleChoiceField(
        label=_("Participants inscrits présents"),
        queryset=Participant.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    observations = forms.CharField(
        label=_("Observations"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    incident_kind = forms.ChoiceField(
        label=_("Incident sur le matériel"),
        choices=[("", _("Aucun incident")), *ReportIncident.Kind.choices],
        required=False,
    )
    incident_item = forms.ModelChoiceField(label=_("Matériel concerné"), queryset=None, required=False)
    incident_site_level = forms.BooleanField(
        label=_("L'incident concerne le site, pas un matériel précis"), required=False
    )
    incident_note = forms.CharField(label=_("Description de l'incident"), max_length=500, required=False)

    def __init__(self, *args, participants, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = participants
        if items is None:
            del self.fields["incident_item"]
        else:
            self.fields["incident_item"].queryset = items

    def clean(self):
        data = super().clean()
        if data.get("held") is False and not (data.get("cancel_reason") or "").strip():
            self.add_error("cancel_reason", _("Indiquez pourquoi la séance n'a pas eu lieu."))
        named = len(data.get("participants") or [])
        if data.get("held") and data.get("headcount") is not None and named > data["headcount"]:
            self.add_error("headcount", headcount_message(data["headcount"], named))
        self._clean_incident(data)
        return data

    def _clean_incident(self, data) -> None:
        """An incident names its item, or is explicitly about the site (then it is described)."""
        kind, item, site_level = (
            data.get(k) for k in ("incident_kind", "incident_item", "incident_site_level")
        )
        if not kind:
            if item or site_level:
                self.add_error("incident_kind", _("Choisissez le type d'incident."))
            return
        if item and site_level:
            self.add_error(
                "incident_site_level",
                _("Un incident concerne soit un matériel précis, soit le site : pas les deux."),
            )
        elif not item and not site_level:
            self.add_error(
                "incident_item" if "incident_item" in self.fields else "incident_site_level",
                _(
                    "Choisissez le matériel concerné, ou cochez « l'incident concerne le site » s'il ne "
                    "concerne pas un matériel précis."
                ),
            )
        elif site_level and not (data.get("incident_note") or "").strip():
            self.add_error("incident_note", _("Décrivez l'incident sur le site."))


class ParticipantForm(BoundedDatesMixin, forms.ModelForm):
    class Meta:
        model = Participant
        fields = ["site", "first_name", "last_initial", "age_band", "consent_on", "consent_by"]
        widgets = {"consent_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {
            "consent_on": _("Date à laquelle la personne a accepté d'être inscrite (obligatoire)."),
            "last_initial": _("Une seule lettre."),
        }

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["consent_on"].required = True


def _day_field(label):
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )


class _PeriodForm(BoundedDatesMixin, forms.Form):
    """From/to dates (inclusive), the end not before the start."""

    end_before_start = ""

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", self.end_before_start)
        return data


class ClosureForm(_PeriodForm):
    site = forms.ModelChoiceField(label=_("Site"), queryset=None)
    starts_on = _day_field(_("Fermé du"))
    ends_on = _day_field(_("Au (inclus)"))
    reason = forms.CharField(
        label=_("Motif"), max_length=200, required=False, help_text=_("Par exemple : travaux, congés d'été.")
    )
    end_before_start = _("La fin de la fermeture précède son début.")

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites


class AbsenceForm(_PeriodForm):
    mission = forms.ModelChoiceField(label=_("Volontaire"), queryset=None)
    starts_on = _day_field(_("Absent du"))
    ends_on = _day_field(_("Au (inclus)"))
    reason = forms.CharField(label=_("Motif (facultatif)"), max_length=200, required=False)
    end_before_start = _("La fin de l'absence précède son début.")

    def __init__(self, *args, missions, own: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = missions
        if own and len(missions) == 1:  # a volunteer records their own absence
            self.fields["mission"].initial = missions[0].pk
            self.fields["mission"].widget = forms.HiddenInput()
