"""Evaluation URLs (report): see terreau/evaluation/urls.py and terreau/evaluation/views_report.py."""

from django.urls import path, re_path

from terreau.evaluation import views_report as views

urlpatterns = [
    path("<int:pk>/rapport/", views.report, name="report"),
    path("<int:pk>/rapport.pdf", views.report_pdf, name="report_pdf"),
    path("<int:pk>/reponses.xlsx", views.answers_xlsx, name="answers_xlsx"),
    # A share token is URL-safe base64 (terreau.evaluation.models.new_token): nothing else reaches the database.
    re_path(r"^partage/(?P<token>[A-Za-z0-9_-]{1,40})/$", views.shared_report, name="shared_report"),
    re_path(
        r"^partage/(?P<token>[A-Za-z0-9_-]{1,40})/rapport\.pdf$",
        views.shared_report_pdf,
        name="shared_report_pdf",
    ),
]
