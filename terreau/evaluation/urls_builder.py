"""Evaluation URLs (builder): the questionnaires and their questions; see terreau/evaluation/urls.py."""

from django.urls import path

from terreau.evaluation import views_builder as views

Q = "questionnaire/<int:pk>/"

urlpatterns: list = [
    path("<int:evaluation_pk>/questionnaires/nouveau/", views.instrument_create, name="instrument_create"),
    path(Q, views.instrument_detail, name="instrument"),
    path(f"{Q}modifier/", views.instrument_edit, name="instrument_edit"),
    path(f"{Q}apercu/", views.instrument_preview, name="instrument_preview"),
    path(f"{Q}nouvelle-version/", views.instrument_new_version, name="instrument_new_version"),
    path(f"{Q}questions/", views.item_add, name="item_add"),
    path(f"{Q}questions/champs/", views.item_fields, name="item_fields"),
    path(f"{Q}bibliotheque/", views.library_add, name="library_add"),
    path(f"{Q}questions/<int:item>/modifier/", views.item_edit, name="item_edit"),
    path(f"{Q}questions/<int:item>/supprimer/", views.item_delete, name="item_delete"),
    path(f"{Q}questions/<int:item>/deplacer/", views.item_move, name="item_move"),
    path(f"{Q}questions/<int:item>/condition/", views.item_condition, name="item_condition"),
]
