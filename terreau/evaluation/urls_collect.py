"""Evaluation URLs (collect): see terreau/evaluation/urls.py.

Without an account: a collection link's start page (``q/<token>/``), then the answers under the response's
token (``repondre/<token>/``). For the program's team: assisted entry, paper entry, the printable questionnaire.
"""

from django.urls import path, re_path

from terreau.evaluation import views_collect_public as public
from terreau.evaluation import views_collect_staff as staff

urlpatterns: list = [
    # Tokens are URL-safe base64 (terreau.evaluation.models.new_token): anything else is not a link of ours (a NUL
    # byte would otherwise reach PostgreSQL, which refuses it).
    re_path(r"^q/(?P<token>[A-Za-z0-9_-]{1,40})/$", public.link_start, name="link"),
    re_path(r"^repondre/(?P<token>[A-Za-z0-9_-]{1,40})/$", public.answer, name="answer"),
    path("<int:pk>/saisie/", staff.assist_start, name="assist_start"),
    path("<int:pk>/papier/", staff.paper_entry, name="paper_entry"),
    path("questionnaire/<int:pk>/papier.pdf", staff.paper_pdf, name="paper_pdf"),
]
