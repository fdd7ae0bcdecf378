"""Pages of the contributions ledger, receipts, agreements and reports (mounted at /contributions/).

Each part keeps its own block; add routes to your block only.
"""

from django.urls import path

from terreau.contributions import agreement_views, report_views

app_name = "contributions"

urlpatterns: list = []

# Ledger: contributions, instalments, documents, counterparts (terreau.contributions.views).
from terreau.contributions import views as lv  # noqa: E402

urlpatterns += [
    path("", lv.ledger, name="ledger"),
    path("nouvelle/", lv.contribution_create, name="contribution_create"),
    path("<int:pk>/", lv.contribution_detail, name="contribution"),
    path("<int:pk>/modifier/", lv.contribution_edit, name="contribution_edit"),
    path("<int:pk>/annuler/", lv.contribution_cancel, name="contribution_cancel"),
    path("<int:pk>/versements/", lv.instalment_add, name="instalment_add"),
    path("<int:pk>/pieces/", lv.document_upload, name="document_upload"),
    path("<int:pk>/pieces/<int:document>/", lv.document_download, name="document_download"),
    path("<int:pk>/contreparties/", lv.counterpart_add, name="counterpart_add"),
    path(
        "<int:pk>/contreparties/<int:counterpart>/retirer/", lv.counterpart_remove, name="counterpart_remove"
    ),
]

# Donor's view and tax estimate (terreau.contributions.estimate_views).
from terreau.contributions import estimate_views as ev  # noqa: E402

urlpatterns += [
    path("nos-contributions/", ev.my_contributions, name="my_contributions"),
    path("structures/<slug:slug>/nos-contributions/", ev.donor_estimate, name="donor_estimate"),
]

# Receipts and eligibility (terreau.contributions.receipt_views).
from terreau.contributions import receipt_views as rv  # noqa: E402

urlpatterns += [
    path("recus/", rv.my_receipts, name="my_receipts"),
    path("recus/<int:pk>/", rv.receipt_detail, name="receipt"),
    path("recus/<int:pk>/recu.pdf", rv.receipt_pdf, name="receipt_pdf"),
    path("recus/<int:pk>/annuler/", rv.receipt_cancel, name="receipt_cancel"),
    path("recus/<int:pk>/remplacer/", rv.receipt_reissue, name="receipt_reissue"),
    path("structures/<slug:slug>/recus/", rv.receipt_list, name="receipts"),
    path("structures/<slug:slug>/recus/habilitation/", rv.eligibility_edit, name="receipt_eligibility"),
    path("structures/<slug:slug>/recus/periode/", rv.receipt_issue_period, name="receipt_issue_period"),
    path(
        "structures/<slug:slug>/recus/emettre/<int:contribution>/",
        rv.receipt_issue_one,
        name="receipt_issue",
    ),
    path("structures/<slug:slug>/recus/fin-d-annee/", rv.receipt_batch_start, name="receipt_batch"),
    path("structures/<slug:slug>/recus/bilan/", rv.receipt_summary, name="receipt_summary"),
]

# Agreements and reports (terreau.contributions.agreement_views, report_views).
urlpatterns += [
    path("conventions/nouvelle/", agreement_views.agreement_create, name="agreement_create"),
    path("conventions/<int:pk>/", agreement_views.agreement_detail, name="agreement"),
    path("conventions/<int:pk>/signer/", agreement_views.agreement_sign, name="agreement_sign"),
    path("conventions/<int:pk>/convention.pdf", agreement_views.agreement_download, name="agreement_pdf"),
    path("rapports/programme/<slug:slug>/", report_views.program_report, name="report_program"),
    path(
        "rapports/programme/<slug:slug>/export.xlsx",
        report_views.program_report_xlsx,
        name="report_program_xlsx",
    ),
    path(
        "rapports/programme/<slug:slug>/rapport.pdf",
        report_views.program_report_download,
        name="report_program_pdf",
    ),
    path("rapports/partenaire/<slug:slug>/", report_views.partner_report, name="report_partner"),
    path(
        "rapports/partenaire/<slug:slug>/export.xlsx",
        report_views.partner_report_xlsx,
        name="report_partner_xlsx",
    ),
    path("rapports/annee/<int:year>/", report_views.year_report, name="report_year"),
    path("rapports/annee/<int:year>/export.xlsx", report_views.year_report_xlsx, name="report_year_xlsx"),
]
