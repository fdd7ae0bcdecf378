"""What was changed or deleted inside a working group (a meeting, a task, a decision, a document): who, when,
and a short French line saying what, kept even when the object is gone. Shown in the group's history beside
its state changes and merges; written by terreau.alliances.group_edits only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from terreau.core.access import AccessRule


class GroupLogEntry(models.Model):
    ACCESS = AccessRule(branch="group__branch", organisation="group__members__organisation", many=True)

    group = models.ForeignKey("alliances.WorkingGroup", on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(_("le"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.CharField(_("changement"), max_length=300)

    class Meta:
        verbose_name = _("modification dans un groupe")
        verbose_name_plural = _("journal des groupes de travail")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.text
