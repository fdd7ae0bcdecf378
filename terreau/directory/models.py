"""The directory: organisations of a territory, their members, and what they need and can offer."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from terreau import vocabulary
from terreau.core import states
from terreau.core.access import AccessRule
from terreau.core.french import fold_key
from terreau.core.models import StateChange, TimeStampedModel, Visibility
from terreau.directory import validators


class Theme(models.Model):
    """A theme code of contracts/matching.md (seeded by a data migration from terreau.vocabulary)."""

    code = models.SlugField(_("code"), max_length=40, primary_key=True)
    label = models.CharField(_("libellé"), max_length=100)

    class Meta:
        verbose_name = _("thème")
        verbose_name_plural = _("thèmes")
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class OrganisationKind(models.TextChoices):
    ASSOCIATION = "association", _("Association")
    COMPANY = "company", _("Entreprise")
    FOUNDATION = "foundation", _("Fondation")
    PUBLIC_BODY = "public_body", _("Collectivité ou organisme public")
    HOST_STRUCTURE = "host_structure", _("Structure d'accueil")
    OTHER = "other", _("Autre")


class HostStructureType(models.TextChoices):
    EHPAD = "ehpad", _("EHPAD")
    RESIDENCE_AUTONOMIE = "residence_autonomie", _("Résidence autonomie")
    SOCIO_CULTURAL_CENTRE = "centre_socioculturel", _("Centre socioculturel")
    SENIOR_CLUB = "club_seniors", _("Club de seniors")
    OTHER = "autre", _("Autre structure d'accueil")


class WorkforceBand(models.TextChoices):
    """INSEE workforce bands (tranches d'effectifs), see ../shared/domain/facts.md."""

    NN = "NN", _("Non employeuse")
    B00 = "00", _("0 salarié")
    B01 = "01", _("1 ou 2 salariés")
    B02 = "02", _("3 à 5 salariés")
    B03 = "03", _("6 à 9 salariés")
    B11 = "11", _("10 à 19 salariés")
    B12 = "12", _("20 à 49 salariés")
    B21 = "21", _("50 à 99 salariés")
    B22 = "22", _("100 à 199 salariés")
    B31 = "31", _("200 à 249 salariés")
    B32 = "32", _("250 à 499 salariés")
    B41 = "41", _("500 à 999 salariés")
    B42 = "42", _("1 000 à 1 999 salariés")
    B51 = "51", _("2 000 à 4 999 salariés")
    B52 = "52", _("5 000 à 9 999 salariés")
    B53 = "53", _("10 000 salariés et plus")


class OrganisationQuerySet(models.QuerySet):
    def public(self) -> OrganisationQuerySet:
        return self.filter(visibility=Visibility.PUBLIC)

    def in_department(self, code: str) -> OrganisationQuerySet:
        return self.filter(commune__department_id=code)


class Organisation(TimeStampedModel):
    ACCESS = AccessRule(branch="branch", organisation="", public=Q(visibility=Visibility.PUBLIC))

    kind = models.CharField(_("type de structure"), max_length=20, choices=OrganisationKind.choices)
    host_type = models.CharField(
        _("type de structure d'accueil"), max_length=30, choices=HostStructureType.choices, blank=True
    )
    name = models.CharField(_("nom"), max_length=255)
    acronym = models.CharField(_("sigle"), max_length=60, blank=True)
    slug = models.SlugField(_("identifiant d'adresse"), max_length=255, unique=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validators.validate_siren])
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validators.validate_siret])
    rna = models.CharField(_("numéro RNA"), max_length=10, blank=True, validators=[validators.validate_rna])
    legal_category = models.CharField(_("catégorie juridique"), max_length=4, blank=True)
    workforce_band = models.CharField(
        _("tranche d'effectifs"), max_length=2, choices=WorkforceBand.choices, blank=True
    )
    naf_code = models.CharField(_("code NAF"), max_length=6, blank=True)
    # Indexed in Meta (a plain b-tree: a ForeignKey's own index adds a varchar_pattern_ops twin no query uses).
    commune = models.ForeignKey(
        "territories.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        db_index=False,
    )
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    geocoded_at = models.DateTimeField(_("géocodé le"), null=True, blank=True)
    website = models.URLField(_("site web"), blank=True)
    email = models.EmailField(_("courriel de contact"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    description = models.TextField(_("présentation"), blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="organisations", verbose_name=_("thèmes"))
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    branch = models.ForeignKey(
        "core.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("antenne"),
        db_index=False,  # (branch, kind) in Meta serves lookups by branch
    )
    visibility = models.CharField(
        _("visibilité"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    # Facilitators' private notes: never on public pages nor in public API responses.
    private_notes = models.TextField(_("notes internes de l'antenne"), blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)
    # SQLite: accent-folded, stemmed text of the organisation and its needs and offers (see directory.search).
    search_document = models.TextField(editable=False, blank=True, default="")
    # PostgreSQL only: weighted tsvector in the french_unaccent configuration, GIN-indexed (migration 0004).
    search_vector = SearchVectorField(null=True, editable=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        # Every index is paid by every write (a 200,000-row import maintains each of them): plain b-trees for
        # the identifiers the imports match on (db_index=True on a CharField would add a varchar_pattern_ops
        # twin for LIKE 'x%', which no query runs on them), none duplicated by a composite's prefix.
        indexes = [
            models.Index(fields=["siren"], name="directory_org_siren_idx"),
            models.Index(fields=["siret"], name="directory_org_siret_idx"),
            models.Index(fields=["rna"], name="directory_org_rna_idx"),
            models.Index(fields=["commune"], name="directory_org_commune_idx"),
            models.Index(fields=["kind", "visibility"]),
            models.Index(fields=["branch", "kind"]),
            # The directory's default order (name, then id) for the first page without a text query.
            models.Index(fields=["name", "id"], name="directory_org_name_id_idx"),
            # Index-only checks of "is this organisation public?" from needs and offers (access rules).
            models.Index(fields=["id", "visibility"], name="directory_org_id_visib_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:organisation", kwargs={"slug": self.slug})

    @property
    def department_code(self) -> str | None:
        return self.commune.department_id if self.commune_id else None


class OrganisationFilter(models.Model):
    """PostgreSQL only: one narrow row per organisation holding what the directory's filters test: ``kind``
    and the ``facets`` tokens (GIN): "d:<department>", "b:<branch id>", "t:<theme>" (own themes and those of
    public active needs and offers), "y:<type>", "r:<direction>", "y:<type>:<direction>" (public active
    needs and offers). pk, branch and visibility mirror the organisation's (same access rule). Written by
    ``search.reindex_organisations`` (``search.pg_filter_rows_sql``); empty on SQLite (``_rows_filtered``)."""

    ACCESS = Organisation.ACCESS

    # ON DELETE CASCADE in the database (migration 0010): the signals of an organisation's deleted needs
    # reindex it (writing its filter row again) before Django deletes the organisation itself.
    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="filter_row",
    )
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    branch = models.ForeignKey(
        "core.Branch",
        on_delete=models.DO_NOTHING,
        null=True,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    # The GIN index is created by migration 0010 (PostgreSQL only).
    facets = ArrayField(models.TextField(), default=list)

    class Meta:
        # Name order read from the indexes alone (filters tested on the included columns); kind first in the
        # second: names follow kinds ("Fondation ..."), the first foundations come after most names.
        indexes = [
            models.Index(
                fields=["name", "organisation"],
                include=["visibility", "branch", "facets"],
                name="directory_filter_name_idx",
            ),
            models.Index(
                fields=["kind", "name", "organisation"],
                include=["visibility", "branch", "facets"],
                name="directory_filter_kind_name_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    ACCESS = AccessRule(branch="organisation__branch", organisation="organisation")

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrateur de la structure")
        MEMBER = "member", _("Membre")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    job_title = models.CharField(_("fonction"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation}"


class Direction(models.TextChoices):
    NEED = "need", _("Besoin")
    OFFER = "offer", _("Ressource")


class Scope(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    DEPARTMENT = "department", _("Département")
    REGION = "region", _("Région")
    NATIONAL = "national", _("National")


class NeedOfferStatus(models.TextChoices):
    OPEN = "open", _("Ouvert")
    IN_DISCUSSION = "in_discussion", _("En discussion")
    FULFILLED = "fulfilled", _("Satisfait")
    WITHDRAWN = "withdrawn", _("Retiré")


class NeedOfferQuerySet(models.QuerySet):
    def needs(self) -> NeedOfferQuerySet:
        return self.filter(direction=Direction.NEED)

    def offers(self) -> NeedOfferQuerySet:
        return self.filter(direction=Direction.OFFER)

    def active(self) -> NeedOfferQuerySet:
        return self.filter(status__in=[NeedOfferStatus.OPEN, NeedOfferStatus.IN_DISCUSSION])


class NeedOffer(TimeStampedModel):
    """A need (besoin) or an offer (ressource) of an organisation."""

    ACCESS = AccessRule(
        branch="organisation__branch",
        organisation="organisation",
        public=Q(visibility=Visibility.PUBLIC, organisation__visibility=Visibility.PUBLIC),
    )

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="needs_offers")
    direction = models.CharField(_("sens"), max_length=5, choices=Direction.choices)
    type = models.CharField(_("type"), max_length=20, choices=list(vocabulary.TYPES.items()))
    theme = models.ForeignKey(
        Theme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs_offers",
        verbose_name=_("thème"),
    )
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    quantity = models.PositiveIntegerField(_("quantité"), null=True, blank=True)
    estimated_value = models.DecimalField(
        _("valeur estimée (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    scope = models.CharField(
        _("portée territoriale"), max_length=12, choices=Scope.choices, default=Scope.DEPARTMENT
    )
    starts_on = models.DateField(_("à partir du"), null=True, blank=True)
    ends_on = models.DateField(_("jusqu'au"), null=True, blank=True)
    status = models.CharField(
        _("statut"), max_length=15, choices=NeedOfferStatus.choices, default=NeedOfferStatus.OPEN
    )
    visibility = models.CharField(
        _("visibilité"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)
    # Search index of branch-only (private) active needs and offers, for the users who may see them (see
    # directory.search): the organisation's index holds only its public ones. Left empty (NULL) for every
    # other need or offer, whose text is already in its organisation's index: writes of public needs and
    # offers cost nothing more. SQLite: accent-folded, stemmed text (B: title, C: description).
    search_document = models.TextField(editable=False, blank=True, default="")
    # PostgreSQL only: the same as a weighted tsvector, in a partial GIN index (migration 0008).
    search_vector = SearchVectorField(null=True, editable=False)

    objects = NeedOfferQuerySet.as_manager()

    # Every status change goes through terreau.core.states.move (NeedOffer.change_status).
    LIFECYCLE = states.Lifecycle(
        field="status",
        transitions={
            NeedOfferStatus.OPEN: {
                NeedOfferStatus.IN_DISCUSSION,
                NeedOfferStatus.FULFILLED,
                NeedOfferStatus.WITHDRAWN,
            },
            NeedOfferStatus.IN_DISCUSSION: {
                NeedOfferStatus.OPEN,
                NeedOfferStatus.FULFILLED,
                NeedOfferStatus.WITHDRAWN,
            },
            NeedOfferStatus.FULFILLED: {NeedOfferStatus.OPEN},
            NeedOfferStatus.WITHDRAWN: {NeedOfferStatus.OPEN},
        },
        history="directory.NeedOfferStatusChange",
        fk="need_offer",
        refusal=_("Impossible de passer du statut « %(from)s » au statut « %(to)s »."),
    )

    class Meta:
        verbose_name = _("besoin ou ressource")
        verbose_name_plural = _("besoins et ressources")
        ordering = ["-updated_at", "pk"]
        indexes = [
            models.Index(fields=["direction", "status"]),
            models.Index(fields=["direction", "-updated_at", "id"], name="directory_no_recent_idx"),
            models.Index(fields=["type", "theme"]),
            # Covering indexes of the directory's filters on needs and offers (index-only scans).
            models.Index(
                fields=["theme", "status", "visibility", "organisation"], name="directory_no_theme_filter_idx"
            ),
            models.Index(
                fields=["type", "direction", "status", "visibility", "organisation"],
                name="directory_no_type_filter_idx",
            ),
            # Index-only probes of one organisation's items: filters per text-search candidate, open counts.
            models.Index(
                fields=["organisation", "status", "visibility", "direction", "type", "theme"],
                name="directory_no_org_probe_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="needoffer_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} — {self.title}"

    @property
    def tag_labels(self) -> list[str]:
        """The labels shown as tags: its type, then its theme unless it says the same ("Mobilité" is both a
        type of help and a theme: shown once)."""
        labels = [self.get_type_display()]
        if self.theme_id and fold_key(self.theme.label) not in {fold_key(label) for label in labels}:
            labels.append(self.theme.label)
        return labels

    @property
    def is_need(self) -> bool:
        return self.direction == Direction.NEED

    def allowed_statuses(self) -> list[str]:
        return sorted(states.allowed(self))

    def change_status(self, *, to: str, by=None, note: str = "") -> NeedOfferStatusChange:
        """Move to another status and record it in the history (caller provides the transaction)."""
        return states.move(self, to, by=by, note=note)


class NeedOfferStatusChange(StateChange):
    ACCESS = AccessRule(branch="need_offer__organisation__branch", organisation="need_offer__organisation")

    need_offer = models.ForeignKey(NeedOffer, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement de statut")
        verbose_name_plural = _("historique des statuts")


class ImportRun(TimeStampedModel):
    """One CSV import (from the web interface or `terreau import-organisations`) and its report."""

    ACCESS = AccessRule(branch="branch")

    class Format(models.TextChoices):
        GENERIC = "generic", _("Modèle Terreau (CSV générique)")
        RNA = "rna", _("Export RNA « waldec »")
        SIRENE_UNITS = "sirene_ul", _("SIRENE : stock des unités légales")
        SIRENE_ESTABLISHMENTS = "sirene_etab", _("SIRENE : stock des établissements")

    class Status(models.TextChoices):
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échoué")

    branch = models.ForeignKey(
        "core.Branch", on_delete=models.CASCADE, related_name="imports", null=True, blank=True
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    format = models.CharField(_("format"), max_length=12, choices=Format.choices)
    file_name = models.CharField(_("fichier"), max_length=255)
    encoding = models.CharField(_("encodage détecté"), max_length=20, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    rows_read = models.PositiveIntegerField(_("lignes lues"), default=0)
    created_count = models.PositiveIntegerField(_("créées"), default=0)
    updated_count = models.PositiveIntegerField(_("mises à jour"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejetées"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    # The file's first line as uploaded (column names unchanged), to give back the rejected rows in a file
    # the user corrects and imports again.
    header = models.JSONField(_("en-tête du fichier"), default=list, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} — {self.file_name}"


_NBSP_BEFORE_RE = re.compile(r" ([:;!?])")


class ImportRejection(models.Model):
    """A rejected row of an import, with its line number in the file and the reason, in French."""

    ACCESS = AccessRule(branch="run__branch")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejections")
    line = models.PositiveIntegerField(_("ligne"))
    # Every problem of the row, one French sentence per line (REASON_SEPARATOR).
    reason = models.TextField(_("motif"))
    raw = models.TextField(_("contenu de la ligne"), blank=True)
    # The row's fields as read (None when the line could not be read as CSV).
    fields = models.JSONField(_("champs"), null=True, blank=True)

    REASON_SEPARATOR = "\n"

    class Meta:
        verbose_name = _("ligne rejetée")
        verbose_name_plural = _("lignes rejetées")
        ordering = ["line", "pk"]

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.reason}"

    @property
    def reasons(self) -> list[str]:
        return [r for r in self.reason.split(self.REASON_SEPARATOR) if r]

    @property
    def reasons_display(self) -> list[str]:
        """The reasons for a page: no line break inside « » nor before : ; ! ? (French typography)."""
        return [
            _NBSP_BEFORE_RE.sub("\u00a0\\1", r.replace("« ", "«\u00a0").replace(" »", "\u00a0»"))
            for r in self.reasons
        ]
