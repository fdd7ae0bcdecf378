"""Evaluation pages: framework, questionnaire builder, collection (links without an account, assisted and paper
entry), report (page, PDF, share link, pseudonymised answers)."""

from terreau.evaluation import urls_builder, urls_collect, urls_framework, urls_report

app_name = "evaluation"

urlpatterns = [
    *urls_framework.urlpatterns,
    *urls_builder.urlpatterns,
    *urls_collect.urlpatterns,
    *urls_report.urlpatterns,
]
