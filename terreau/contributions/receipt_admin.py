"""Admin of tax receipts: read only for everybody, superusers included (an issued receipt never changes; it is
cancelled and reissued through the pages, terreau.contributions.receipts). Imported by the app's admin.py."""

from __future__ import annotations

from django.contrib import admin

from terreau.contributions.receipt_models import Receipt, ReceiptEligibility, ReceiptSequence
from terreau.core.admin_scoping import ReadOnlyScopedAdmin


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyScopedAdmin):
    list_display = ["number", "issuer", "donor", "year", "amount", "state", "issued_at", "is_demo"]
    list_filter = ["state", "form", "nature", "year", "is_demo"]
    search_fields = ["number", "issuer__name", "donor__name"]
    date_hierarchy = "issued_at"


@admin.register(ReceiptEligibility)
class ReceiptEligibilityAdmin(ReadOnlyScopedAdmin):
    list_display = ["organisation", "eligible", "ground", "confirmed_by", "confirmed_at"]
    list_filter = ["eligible", "ground"]


@admin.register(ReceiptSequence)
class ReceiptSequenceAdmin(ReadOnlyScopedAdmin):
    list_display = ["issuer", "year", "last_number"]
