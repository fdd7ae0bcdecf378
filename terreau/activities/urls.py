from django.urls import path

from terreau.activities import views

app_name = "activities"
urlpatterns = [
    path("<slug:slug>/seances/", views.sessions_home, name="sessions"),
    path("<slug:slug>/seances/planifier/", views.plan_month, name="plan"),
    path("<slug:slug>/seances/hebdomadaires/<int:pk>/modifier/", views.recurring_edit, name="recurring_edit"),
    path("<slug:slug>/seances/hebdomadaires/<int:pk>/arreter/", views.recurring_end, name="recurring_end"),
    path(
        "<slug:slug>/seances/hebdomadaires/<int:pk>/supprimer/",
        views.recurring_delete,
        name="recurring_delete",
    ),
    path("<slug:slug>/seances/<int:pk>/", views.session_detail, name="session"),
    path("<slug:slug>/seances/<int:pk>/annuler/", views.session_cancel, name="session_cancel"),
    path("<slug:slug>/seances/<int:pk>/remplacer/", views.session_replace, name="session_replace"),
    path("<slug:slug>/seances/<int:pk>/compte-rendu/", views.session_report, name="report"),
    path("<slug:slug>/calendrier/", views.calendar, name="calendar"),
    path("<slug:slug>/calendrier/flux/<str:token>.ics", views.calendar_feed, name="feed"),
    path("<slug:slug>/volontaires/", views.missions, name="missions"),
    path("<slug:slug>/volontaires/nouvelle/", views.mission_edit, name="mission_add"),
    path("<slug:slug>/volontaires/<int:pk>/modifier/", views.mission_edit, name="mission_edit"),
    path("<slug:slug>/participants/", views.participants, name="participants"),
    path("<slug:slug>/participants/inscrire/", views.participant_add, name="participant_add"),
    path("<slug:slug>/participants/<int:pk>/", views.participant_detail, name="participant"),
    path(
        "<slug:slug>/participants/<int:pk>/donnees.<str:fmt>",
        views.participant_export,
        name="participant_export",
    ),
    path("<slug:slug>/participants/<int:pk>/effacer/", views.participant_erase, name="participant_erase"),
    path("<slug:slug>/tableau-de-bord/", views.dashboard, name="dashboard"),
    path("<slug:slug>/tableau-de-bord/activite.xlsx", views.dashboard_xlsx, name="dashboard_xlsx"),
    path("<slug:slug>/tableau-de-bord/rapport-mensuel.pdf", views.monthly_report, name="monthly_report"),
]
