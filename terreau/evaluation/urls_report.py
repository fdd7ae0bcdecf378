"""Evaluation URLs (report): see terreau/evaluation/urls.py and terreau/evaluation/views_report.py."""

from django.urls import path

from terreau.evaluation import views_report as views

urlpatterns = [
    path("<int:pk>/rapport/", views.report, name="report"),
    path("<int:pk>/rapport.pdf", views.report_pdf, name="report_pdf"),
    path("<int:pk>/reponses.xlsx", views.answers_xlsx, name="answers_xlsx"),
    path("partage/<str:token>/", views.shared_report, name="shared_report"),
    path("partage/<str:token>/rapport.pdf", views.shared_report_pdf, name="shared_report_pdf"),
]
