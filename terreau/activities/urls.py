from django.urls import path

from terreau.activities.views import (
    calendar,
    closures,
    dashboard,
    incidents,
    missions,
    participants,
    recurring,
    reports,
    sessions,
)

app_name = "activities"
urlpatterns = [
    path("<slug:slug>/seances/", sessions.sessions_home, name="sessions"),
    path("<slug:slug>/seances/planifier/", sessions.plan_month, name="plan"),
    path(
        "<slug:slug>/seances/hebdomadaires/<int:pk>/modifier/",
        recurring.recurring_edit,
        name="recurring_edit",
    ),
    path(
        "<slug:slug>/seances/hebdomadaires/<int:pk>/arreter/", recurring.recurring_end, name="recurring_end"
    ),
    path(
        "<slug:slug>/seances/hebdomadaires/<int:pk>/supprimer/",
        recurring.recurring_delete,
        name="recurring_delete",
    ),
    path("<slug:slug>/seances/<int:pk>/", sessions.session_detail, name="session"),
    path("<slug:slug>/seances/<int:pk>/annuler/", sessions.session_cancel, name="session_cancel"),
    path("<slug:slug>/seances/<int:pk>/remplacer/", sessions.session_replace, name="session_replace"),
    path("<slug:slug>/seances/<int:pk>/compte-rendu/", reports.session_report, name="report"),
    path("<slug:slug>/incidents/", incidents.incidents, name="incidents"),
    path("<slug:slug>/incidents/<int:pk>/resolu/", incidents.incident_resolve_view, name="incident_resolve"),
    path("<slug:slug>/calendrier/", calendar.calendar, name="calendar"),
    path("<slug:slug>/fermetures/", closures.closures, name="closures"),
    path("<slug:slug>/fermetures/<int:pk>/supprimer/", closures.closure_delete, name="closure_delete"),
    path(
        "<slug:slug>/fermetures/absences/<int:pk>/supprimer/", closures.absence_delete, name="absence_delete"
    ),
    path("<slug:slug>/fermetures/jours-feries/annuler/", closures.holiday_cancel, name="holiday_cancel"),
    path("<slug:slug>/calendrier/flux/<str:token>.ics", calendar.calendar_feed, name="feed"),
    path("<slug:slug>/volontaires/", missions.missions, name="missions"),
    path("<slug:slug>/volontaires/nouvelle/", missions.mission_edit, name="mission_add"),
    path("<slug:slug>/volontaires/<int:pk>/modifier/", missions.mission_edit, name="mission_edit"),
    path("<slug:slug>/participants/", participants.participants, name="participants"),
    path("<slug:slug>/participants/inscrire/", participants.participant_add, name="participant_add"),
    path("<slug:slug>/participants/<int:pk>/", participants.participant_detail, name="participant"),
    path(
        "<slug:slug>/participants/<int:pk>/donnees.<str:fmt>",
        participants.participant_export,
        name="participant_export",
    ),
    path(
        "<slug:slug>/participants/<int:pk>/effacer/", participants.participant_erase, name="participant_erase"
    ),
    path("<slug:slug>/tableau-de-bord/", dashboard.dashboard, name="dashboard"),
    path("<slug:slug>/tableau-de-bord/activite.xlsx", dashboard.dashboard_xlsx, name="dashboard_xlsx"),
    path("<slug:slug>/tableau-de-bord/rapport-mensuel.pdf", dashboard.monthly_report, name="monthly_report"),
]
