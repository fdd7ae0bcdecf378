"""Kit delivery note (bon de livraison) as a real PDF, drawn with terreau.core.pdf (every text escaped,
long names wrapped, the list of equipment continued on the next pages with its header)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.core import dates
from terreau.core.french import fold_key as fold
from terreau.core.pdf import KeepTogether, Spacer, build, cm, para, style, table
from terreau.programs.equipment import EquipmentItem, Kit
from terreau.programs.models import HostSite
from terreau.territories.models import PostalCode


def _money(value: Decimal) -> str:
    return f"{formats.number_format(value, 2, use_l10n=True, force_grouping=True)} €"


def postal_address(site: HostSite) -> str:
    """Street, then postal code and commune ("12 rue des Glycines, 86000 Poitiers"). The street is the site's
    own, else its organisation's when it is in the same commune; the postal code is the organisation's there,
    else the commune's first one."""
    org = site.organisation
    same_commune = org.commune_id == site.commune_id
    street = (site.address or (org.address if same_commune else "")).strip()
    postal = (org.postal_code if same_commune else "") or (
        PostalCode.objects.filter(commune_id=site.commune_id)
        .order_by("code")
        .values_list("code", flat=True)
        .first()
        or ""
    )
    town = " ".join(part for part in (postal, site.commune.name) if part)
    if not street:
        return _("%(town)s (voie non renseignée)") % {"town": town}
    # A street typed with its town already ("12 rue X 86000 Poitiers") is not completed twice.
    if fold(site.commune.name) in fold(street) and (not postal or postal in street):
        return street
    return f"{street}, {town}"


def delivery_note(kit: Kit, items: list[EquipmentItem]) -> bytes:
    """What was delivered (type, make and model, serial, value), where, when, with signature boxes."""
    program = kit.program
    site = kit.site
    delivered = kit.delivered_on or timezone.localdate()
    lines = [
        _("Programme : %(name)s (%(branch)s)") % {"name": program.name, "branch": program.branch.name},
        _("Kit : %(code)s — %(model)s") % {"code": kit.code, "model": kit.model.name},
        _("Livré le : %(date)s") % {"date": dates.date_format(delivered, "j F Y")},
    ]
    if site is not None:
        lines.append(_("Site d'accueil : %(site)s") % {"site": site.name})
        if fold(site.organisation.name) != fold(site.name):
            lines.append(_("Structure d'accueil : %(org)s") % {"org": site.organisation.name})
        lines.append(_("Adresse : %(address)s") % {"address": postal_address(site)})
        if site.contact_name:
            lines.append(_("Contact sur place : %(name)s") % {"name": site.contact_name})
    total = sum((item.value for item in items), Decimal("0"))
    rows = [[_("Type"), _("Marque et modèle"), _("N° de série"), _("Valeur")]]
    rows += [
        [
            item.get_type_display(),
            f"{item.make} {item.model_name}".strip(),
            item.serial_number,
            _money(item.value),
        ]
        for item in items
    ]
    rows.append(
        [
            ngettext("%(n)s équipement", "%(n)s équipements", len(items)) % {"n": len(items)},
            "",
            "",
            _("Total : %(total)s") % {"total": _money(total)},
        ]
    )
    line = style("DeliveryLine", fontSize=11, leading=15)
    signatures = table(
        [[_("Remis par (nom, date, signature)"), _("Reçu par le site (nom, date, signature)")]],
        header=False,
        widths=[0.5, 0.5],
    )
    signatures.setStyle([("BOTTOMPADDING", (0, 0), (-1, -1), 3 * cm)])
    story = [
        para(_("Bon de livraison"), "Title"),
        para(_("N° %(ref)s") % {"ref": f"{program.pk}-{kit.code}"}, "CellRight"),
        Spacer(1, 0.5 * cm),
        *(para(text, line) for text in lines),
        Spacer(1, 0.6 * cm),
        table(rows, widths=[0.18, 0.37, 0.28, 0.17], right=[3]),
        Spacer(1, 1 * cm),
        KeepTogether([signatures]),
        Spacer(1, 0.8 * cm),
        para(
            _(
                "Le matériel reste la propriété du programme ; tout incident est à signaler à la coordination."
            ),
            "Small",
        ),
    ]
    return build(
        story, title=_("Bon de livraison du kit %(code)s") % {"code": kit.code}, author=program.branch.name
    )
