"""Kinds of message sent about contributions (terreau.notifications.kinds); each part adds its own block."""

from django.utils.translation import gettext_lazy as _

from terreau.notifications.kinds import Kind, register

# Tax receipts (terreau.contributions.receipt_batch).
register(
    Kind(
        code="contributions.receipt",
        label=_("Reçus fiscaux"),
        description=_(
            "Le reçu fiscal de vos dons, en PDF, quand la structure bénéficiaire l'émet ou le remplace."
        ),
        category=_("Contributions et mécénat"),
        optional=False,
    ),
)
