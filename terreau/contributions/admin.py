"""Admin of the contributions ledger, scoped by terreau.core.admin_scoping (a facilitator sees their branches'
contributions only; every choice list is scoped).

The ledger is written through the pages and the API (terreau.contributions.services): a contribution is never
added nor deleted here (a receipt may cover it; cancel it with a reason instead), its value and state are read
only, and a change of its valuation inputs, allowed while it is pledged, is valued again by
terreau.contributions.valuation. Instalments, documents, counterparts and the history are read here only.
Receipts, eligibility and numbering (receipt_admin) and agreements are read only for everybody.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError

from terreau.contributions import (
    receipt_admin,  # noqa: F401 (registers the receipts' admin)
    valuation,
)
from terreau.contributions.agreement_models import Agreement, AgreementChange, AgreementSignature
from terreau.contributions.models import (
    Contribution,
    ContributionChange,
    ContributionDocument,
    Counterpart,
    Instalment,
)
from terreau.contributions.services import VALUATION_FIELDS
from terreau.core.admin_scoping import (
    BranchScopedAdmin,
    HistoryInline,
    ReadOnlyScopedAdmin,
    ScopedTabularInline,
)

_PARTIES = ["branch", "donor", "individual_name", "recipient", "kind", "pledged_on"]


class _ReadOnlyInline(ScopedTabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class InstalmentInline(_ReadOnlyInline):
    model = Instalment
    fields = readonly_fields = ["received_on", "amount", "note", "recorded_by"]


class DocumentInline(_ReadOnlyInline):
    model = ContributionDocument
    fields = readonly_fields = ["kind", "title", "file", "uploaded_by", "created_at"]


class CounterpartInline(_ReadOnlyInline):
    model = Counterpart
    fields = readonly_fields = ["kind", "description", "value"]


class ContributionChangeInline(HistoryInline):
    model = ContributionChange
    fields = readonly_fields = ["from_state", "to_state", "at", "by", "note"]


@admin.register(Contribution)
class ContributionAdmin(BranchScopedAdmin):
    list_display = [
        "pledged_on",
        "donor",
        "individual_name",
        "recipient",
        "kind",
        "value",
        "state",
        "is_demo",
    ]
    list_filter = ["state", "kind", "branch", "is_demo"]
    search_fields = ["description", "donor__name", "recipient__name", "individual_name"]
    date_hierarchy = "pledged_on"
    list_select_related = ["donor", "recipient"]
    raw_id_fields = ["donor", "recipient", "donor_person", "program", "working_group", "partnership"]
    filter_horizontal = ["equipment_items"]
    inlines = [InstalmentInline, DocumentInline, CounterpartInline, ContributionChangeInline]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["value", "value_basis", "state", "recorded_by", *_PARTIES]
        if obj is not None and obj.state != Contribution.State.PLEDGED:
            fixed += [*VALUATION_FIELDS, "program", "working_group", "partnership", "equipment_items"]
        return fixed

    def has_add_permission(self, request) -> bool:
        return False  # recorded through the pages or the API, where the ledger's rules are checked

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cancelled with a reason, never deleted

    def save_model(self, request, obj, form, change) -> None:
        valuation.apply(obj)  # checked by the form's clean()
        super().save_model(request, obj, form, change)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        def clean(self):
            data = form.clean(self)
            candidate = self.instance
            for name in VALUATION_FIELDS:
                if name in data:
                    setattr(candidate, name, data[name])
            try:
                valuation.apply(candidate)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        self.add_error(field if field in self.fields else None, errors)
                else:
                    self.add_error(None, exc.messages)
            return data

        return type(form.__name__, (form,), {"clean": clean})


class AgreementChangeInline(HistoryInline):
    model = AgreementChange
    fields = readonly_fields = ["from_state", "to_state", "at", "by", "note"]


class AgreementSignatureInline(_ReadOnlyInline):
    model = AgreementSignature
    fk_name = "agreement"


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyScopedAdmin):
    """Agreements are drafted, signed and ended through the pages (terreau.contributions.agreements)."""

    list_display = ["title", "kind", "donor", "recipient", "state", "starts_on", "ends_on", "is_demo"]
    list_filter = ["state", "kind", "is_demo"]
    search_fields = ["title", "donor__name", "recipient__name"]
    inlines = [AgreementSignatureInline, AgreementChangeInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
