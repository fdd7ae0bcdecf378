"""Kits and equipment of a program: kit models, kits, items with explicit states and their full history,
incidents, repairs and inventory checks; plus the program's documents.

An item's state only changes through EquipmentItem.move() (called by terreau.programs.items and kits), which
goes through terreau.core.states: it refuses transitions not listed in EquipmentItem.LIFECYCLE and records
an EquipmentEvent for each change. A kit's own state (Kit.LIFECYCLE) is recorded in KitStateChange.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from terreau.core import states
from terreau.core.access import AccessRule
from terreau.core.models import StateChange, TimeStampedModel


class EquipmentType(models.TextChoices):
    TABLET = "tablet", _("Tablette")
    CONSOLE = "console", _("Console de jeux")
    PROJECTOR = "projector", _("Vidéoprojecteur")
    OTHER = "other", _("Autre")


class ItemState(models.TextChoices):
    IN_STOCK = "in_stock", _("En stock")
    IN_KIT = "in_kit", _("Dans un kit")
    AT_SITE = "at_site", _("Sur un site")
    IN_REPAIR = "in_repair", _("En réparation")
    LOST = "lost", _("Perdu ou volé")
    RETIRED = "retired", _("Réformé")


class ProgramDocument(TimeStampedModel):
    """A document of the program (agreement, charter, kit guide...), seen by the program's team."""

    ACCESS = AccessRule(branch="program__branch", program="program")

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(_("fichier"), upload_to="programs/documents/%Y/%m/")
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("document du programme")
        verbose_name_plural = _("documents du programme")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class KitModel(TimeStampedModel):
    """What a kit contains: composition lines [{"type": "tablet", "quantity": 5}, ...]."""

    ACCESS = AccessRule(branch="program__branch", program="program")

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="kit_models")
    name = models.CharField(_("nom du modèle de kit"), max_length=150)
    composition = models.JSONField(_("composition"), default=list, blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("modèle de kit")
        verbose_name_plural = _("modèles de kit")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="unique_kit_model_name")]

    def __str__(self) -> str:
        return self.name

    def quantities(self) -> dict[str, int]:
        """{type: quantity} from the composition lines (unknown or malformed lines are ignored)."""
        out: dict[str, int] = {}
        for line in self.composition or []:
            try:
                kind, qty = str(line["type"]), int(line["quantity"])
            except (KeyError, TypeError, ValueError):
                continue
            if kind in EquipmentType.values and qty > 0:
                out[kind] = out.get(kind, 0) + qty
        return out

    def composition_label(self) -> str:
        labels = dict(EquipmentType.choices)
        return ", ".join(f"{qty} × {labels[kind]}" for kind, qty in self.quantities().items())


class Kit(TimeStampedModel):
    ACCESS = AccessRule(branch="program__branch", program="program", site="site")

    class State(models.TextChoices):
        ASSEMBLED = "assembled", _("Prêt à livrer")
        DELIVERED = "delivered", _("Livré")
        DISMANTLED = "dismantled", _("Démonté")

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="kits")
    model = models.ForeignKey(
        KitModel, on_delete=models.RESTRICT, related_name="kits", verbose_name=_("modèle")
    )
    code = models.CharField(_("code du kit"), max_length=40)
    # RESTRICT: a site with kits cannot be deleted alone, but deleting the whole program removes both.
    site = models.ForeignKey(
        "programs.HostSite", on_delete=models.RESTRICT, null=True, blank=True, related_name="kits"
    )
    state = models.CharField(_("état"), max_length=20, choices=State.choices, default=State.ASSEMBLED)
    delivered_on = models.DateField(_("livré le"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    # A kit is assembled, delivered to a site, and dismantled (from either state), for good.
    LIFECYCLE = states.Lifecycle(
        field="state",
        transitions={
            State.ASSEMBLED: {State.DELIVERED, State.DISMANTLED},
            State.DELIVERED: {State.DISMANTLED},
            State.DISMANTLED: set(),
        },
        history="programs.KitStateChange",
        fk="kit",
        refusal=_("Le kit %(object)s ne peut pas passer de « %(from)s » à « %(to)s »."),
    )

    class Meta:
        verbose_name = _("kit")
        verbose_name_plural = _("kits")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="unique_kit_code"),
            models.CheckConstraint(
                condition=~Q(state="delivered") | Q(site__isnull=False), name="kit_delivered_has_site"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_dismantled(self) -> bool:
        return self.state == Kit.State.DISMANTLED

    def dismantling(self) -> KitStateChange | None:
        """The history row of the kit's dismantling (who, when, why, from which site), if it was dismantled."""
        return self.state_changes.filter(to_state=Kit.State.DISMANTLED).select_related("by", "site").last()

    def items_in_repair(self) -> models.QuerySet[EquipmentItem]:
        """Items sent to repair from this kit and not back yet (repair_send detached them from the kit)."""
        open_repairs = Repair.objects.filter(from_kit=self, returned_on__isnull=True).values("item_id")
        return EquipmentItem.objects.filter(pk__in=open_repairs, state=ItemState.IN_REPAIR)


class KitStateChange(StateChange):
    """A step of a kit's own life: assembled, delivered, dismantled (its items keep theirs in
    EquipmentEvent). Written by the kit services of terreau.programs.kits."""

    ACCESS = AccessRule(branch="kit__program__branch", program="kit__program", site="kit__site")

    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="state_changes")
    # Where the kit was when its state changed (a dismantled kit leaves its site).
    site = models.ForeignKey(
        "programs.HostSite", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'état d'un kit")
        verbose_name_plural = _("historique des kits")

    def __str__(self) -> str:
        return f"{self.kit} : {self.from_state} → {self.to_state}"


class EquipmentItemQuerySet(models.QuerySet):
    def active(self) -> EquipmentItemQuerySet:
        return self.exclude(state__in=[ItemState.LOST, ItemState.RETIRED])


class EquipmentItem(TimeStampedModel):
    ACCESS = AccessRule(branch="program__branch", program="program", site="site")

    class Origin(models.TextChoices):
        BOUGHT = "bought", _("Acheté")
        GIVEN = "given", _("Donné")

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="equipment")
    type = models.CharField(_("type"), max_length=20, choices=EquipmentType.choices)
    make = models.CharField(_("marque"), max_length=80)
    model_name = models.CharField(_("modèle"), max_length=120, blank=True)
    serial_number = models.CharField(_("numéro de série"), max_length=80)
    origin = models.CharField(_("origine"), max_length=10, choices=Origin.choices, default=Origin.BOUGHT)
    given_by = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="equipment_given",
        verbose_name=_("donné par"),
    )
    value = models.DecimalField(
        _("valeur (€)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    state = models.CharField(_("état"), max_length=20, choices=ItemState.choices, default=ItemState.IN_STOCK)
    kit = models.ForeignKey(Kit, on_delete=models.SET_NULL, null=True, blank=True, related_name="items")
    site = models.ForeignKey(
        "programs.HostSite", on_delete=models.SET_NULL, null=True, blank=True, related_name="equipment"
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    objects = EquipmentItemQuerySet.as_manager()

    # Allowed state changes of an item; anything else is refused. A "move" to the current state records a
    # notable fact (an incident, a missing item at an inventory) in the item's history.
    LIFECYCLE = states.Lifecycle(
        field="state",
        transitions={
            ItemState.IN_STOCK: {
                ItemState.IN_KIT,
                ItemState.AT_SITE,
                ItemState.IN_REPAIR,
                ItemState.LOST,
                ItemState.RETIRED,
            },
            ItemState.IN_KIT: {ItemState.AT_SITE, ItemState.IN_STOCK, ItemState.IN_REPAIR, ItemState.LOST},
            ItemState.AT_SITE: {ItemState.IN_STOCK, ItemState.IN_REPAIR, ItemState.LOST},
            ItemState.IN_REPAIR: {ItemState.IN_STOCK, ItemState.RETIRED, ItemState.LOST},
            ItemState.LOST: {ItemState.IN_STOCK, ItemState.RETIRED},
            ItemState.RETIRED: set(),
        },
        history="programs.EquipmentEvent",
        fk="item",
        refusal=_("Changement d'état impossible pour %(object)s : de « %(from)s » à « %(to)s »."),
        stay=True,
    )

    class Meta:
        verbose_name = _("équipement")
        verbose_name_plural = _("équipements")
        ordering = ["type", "serial_number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "serial_number"], name="unique_serial_per_program"),
            models.CheckConstraint(condition=Q(value__gte=0), name="equipment_value_not_negative"),
        ]
        indexes = [models.Index(fields=["program", "state"])]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.make} {self.model_name} ({self.serial_number})".replace(
            "  ", " "
        )

    def move(
        self,
        to_state: str,
        *,
        by,
        kind: str,
        note: str = "",
        site=None,
        kit=None,
    ) -> EquipmentEvent:
        """Change state (or, with to_state == current state, only record an event) and log it.

        Callers run inside a transaction and pass the item's new site and kit.
        """
        return states.move(
            self, to_state, by=by, note=note, also={"site": site, "kit": kit}, kind=kind, site=site, kit=kit
        )


class EquipmentEvent(StateChange):
    """One step of an item's life (state change or notable fact), with who, when, where and which kit."""

    ACCESS = AccessRule(branch="item__program__branch", program="item__program", site="item__site")

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Enregistrement")
        ASSEMBLED = "assembled", _("Mis dans un kit")
        DELIVERED = "delivered", _("Livré sur un site")
        INCIDENT = "incident", _("Incident")
        REPAIR_SENT = "repair_sent", _("Envoyé en réparation")
        REPAIR_RETURNED = "repair_returned", _("Retour de réparation")
        SWAPPED_OUT = "swapped_out", _("Retiré d'un kit (échange)")
        SWAPPED_IN = "swapped_in", _("Ajouté à un kit (échange)")
        INVENTORY_SEEN = "inventory_seen", _("Vu à l'inventaire")
        INVENTORY_MISSING = "inventory_missing", _("Manquant à l'inventaire")
        FOUND = "found", _("Retrouvé")
        RETIRED = "retired", _("Réformé")
        DISMANTLED = "dismantled", _("Kit démonté")

    item = models.ForeignKey(EquipmentItem, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("événement"), max_length=30, choices=Kind.choices)
    site = models.ForeignKey(
        "programs.HostSite", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kit = models.ForeignKey(Kit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta(StateChange.Meta):
        verbose_name = _("événement de matériel")
        verbose_name_plural = _("historique du matériel")


class Incident(TimeStampedModel):
    """A broken, lost or stolen item, reported by the team or from a session report (activities app)."""

    ACCESS = AccessRule(branch="item__program__branch", program="item__program", site="site")

    class Kind(models.TextChoices):
        BROKEN = "broken", _("Cassé ou en panne")
        LOST = "lost", _("Perdu")
        STOLEN = "stolen", _("Volé")

    item = models.ForeignKey(EquipmentItem, on_delete=models.CASCADE, related_name="incidents")
    kind = models.CharField(_("type d'incident"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("description"), max_length=500, blank=True)
    site = models.ForeignKey(
        "programs.HostSite", on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Primary key of the activities.SessionReport the incident came from (no FK: that app migrates apart).
    session_report_ref = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    resolved_at = models.DateTimeField(_("résolu le"), null=True, blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.item.serial_number}"


class Repair(TimeStampedModel):
    ACCESS = AccessRule(branch="item__program__branch", program="item__program")

    class Outcome(models.TextChoices):
        REPAIRED = "repaired", _("Réparé")
        UNREPAIRABLE = "unrepairable", _("Irréparable (réformé)")

    item = models.ForeignKey(EquipmentItem, on_delete=models.CASCADE, related_name="repairs")
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="repairs"
    )
    repairer = models.CharField(_("réparateur"), max_length=200, blank=True)
    sent_on = models.DateField(_("envoyé le"))
    returned_on = models.DateField(_("revenu le"), null=True, blank=True)
    outcome = models.CharField(_("résultat"), max_length=15, choices=Outcome.choices, blank=True)
    cost = models.DecimalField(
        _("coût (€)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    note = models.CharField(_("commentaire"), max_length=500, blank=True)
    # Where the item was before the repair, so that it can go back there.
    from_site = models.ForeignKey(
        "programs.HostSite", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_kit = models.ForeignKey(Kit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("réparation")
        verbose_name_plural = _("réparations")
        ordering = ["-sent_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.item.serial_number} — {self.sent_on}"


class InventoryCheck(TimeStampedModel):
    """An inventory at a site: which expected items were missing, which unexpected ones were seen."""

    ACCESS = AccessRule(branch="site__program__branch", program="site__program", site="site")

    site = models.ForeignKey("programs.HostSite", on_delete=models.CASCADE, related_name="inventory_checks")
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expected_count = models.PositiveIntegerField(default=0)
    seen_count = models.PositiveIntegerField(default=0)
    missing = models.ManyToManyField(EquipmentItem, blank=True, related_name="missing_in_checks")
    unexpected = models.ManyToManyField(EquipmentItem, blank=True, related_name="unexpected_in_checks")
    note = models.CharField(_("commentaire"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("inventaire")
        verbose_name_plural = _("inventaires")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.site} — {self.created_at:%d/%m/%Y}"
