"""Evaluation URLs (framework): a program's evaluations, the evaluation page and its framework (questions,
indicators, waves), respondents, collection links and share links; see terreau/evaluation/urls.py."""

from django.urls import path

from terreau.evaluation import views_framework as views
from terreau.evaluation import views_framework_parts as parts
from terreau.evaluation import views_framework_people as people

urlpatterns: list = [
    path("programme/<slug:slug>/", views.program_evaluations, name="program_evaluations"),
    path("programme/<slug:slug>/nouvelle/", views.evaluation_create, name="create"),
    path("<int:pk>/", views.evaluation_detail, name="detail"),
    path("<int:pk>/modifier/", views.evaluation_edit, name="edit"),
    path("<int:pk>/etat/", views.evaluation_move, name="move"),
    # evaluative questions and indicators
    path("<int:pk>/questions/nouvelle/", parts.question_add, name="question_add"),
    path("question/<int:pk>/modifier/", parts.question_edit, name="question_edit"),
    path("question/<int:pk>/supprimer/", parts.question_delete, name="question_delete"),
    path("question/<int:pk>/deplacer/", parts.question_move, name="question_move"),
    path("<int:pk>/indicateurs/nouveau/", parts.indicator_add, name="indicator_add"),
    path("indicateur/<int:pk>/modifier/", parts.indicator_edit, name="indicator_edit"),
    path("indicateur/<int:pk>/supprimer/", parts.indicator_delete, name="indicator_delete"),
    # waves
    path("<int:pk>/vagues/nouvelle/", parts.wave_add, name="wave_add"),
    path("vague/<int:pk>/modifier/", parts.wave_edit, name="wave_edit"),
    path("vague/<int:pk>/supprimer/", parts.wave_delete, name="wave_delete"),
    path("vague/<int:pk>/ouvrir/", parts.wave_open, name="wave_open"),
    path("vague/<int:pk>/clore/", parts.wave_close, name="wave_close"),
    # respondents (coordinators and evaluators only)
    path("<int:pk>/repondants/", people.respondent_list, name="respondents"),
    path("<int:pk>/repondants/inscrire/", people.respondents_enrol, name="respondents_enrol"),
    path("<int:pk>/repondants/nouveaux/", people.respondent_add, name="respondent_add"),
    path("repondant/<int:pk>/effacer/", people.respondent_erase, name="respondent_erase"),
    # collection links and share links
    path("<int:pk>/liens/nouveau/", people.link_create, name="link_create"),
    path("lien/<int:pk>/desactiver/", people.link_revoke, name="link_revoke"),
    path("<int:pk>/liens-partage/nouveau/", people.share_create, name="share_create"),
    path("lien-partage/<int:pk>/revoquer/", people.share_revoke, name="share_revoke"),
]
