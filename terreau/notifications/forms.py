"""The preferences form: one choice per kind a person may change."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from terreau.notifications.kinds import all_kinds
from terreau.notifications.models import Preference


class PreferencesForm(forms.Form):
    def __init__(self, *args, stored: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed = []
        for kind in all_kinds():
            if not kind.optional:
                self.fixed.append(kind)
                continue
            field = forms.ChoiceField(
                label=kind.label,
                help_text=kind.description,
                choices=Preference.Choice.choices,
                required=False,
                widget=forms.RadioSelect,
                initial=stored.get(kind.code, kind.default),
            )
            field.category = kind.category
            self.fields[kind.code] = field

    def grouped(self):
        """(category, [bound fields]) in the registry's order."""
        groups: dict[str, list] = {}
        for name, field in self.fields.items():
            groups.setdefault(str(field.category), []).append(self[name])
        return list(groups.items())


FIXED_HELP = _("Toujours envoyé immédiatement : ce message fait partie du service ou protège votre compte.")
