"""Pages of the contributions ledger, receipts, agreements and reports (mounted at /contributions/).

Each part keeps its own block; add routes to your block only.
"""

from django.urls import path

app_name = "contributions"

urlpatterns: list = []

# Ledger: contributions, instalments, documents, counterparts (terreau.contributions.views).
urlpatterns += []

# Donor's view and tax estimate (terreau.contributions.estimate_views).
urlpatterns += []

# Receipts and eligibility (terreau.contributions.receipt_views).
urlpatterns += []

# Agreements and reports (terreau.contributions.agreement_views, report_views).
urlpatterns += []
