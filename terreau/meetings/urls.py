"""Speed-meeting pages, under /rencontres/<slug>/rendez-vous/ (included before the events URLs)."""

from django.urls import path

from terreau.meetings import agenda_views, views

app_name = "meetings"

# Participant pages exist twice: for the signed-in participant and behind their signed link.
_participant = [
    ("souhaits/", views.wishes, "wishes"),
    ("disponibilites/", views.availability, "availability"),
    ("agenda/", views.agenda, "agenda"),
    ("agenda.pdf", views.agenda_pdf, "agenda_pdf"),
    ("agenda.ics", views.agenda_ics, "agenda_ics"),
    ("avis/", views.feedback, "feedback"),
]

urlpatterns = [
    path("<slug:slug>/rendez-vous/", views.planning, name="planning"),
    path("<slug:slug>/rendez-vous/parametres/", views.setup, name="setup"),
    path("<slug:slug>/rendez-vous/planifier/", views.plan_run, name="plan_run"),
    path("<slug:slug>/rendez-vous/publier/", views.publish, name="publish"),
    path("<slug:slug>/rendez-vous/absence/", views.absent, name="absent"),
    path("<slug:slug>/rendez-vous/plan-de-table.pdf", views.table_plan, name="table_plan"),
    path("<slug:slug>/rendez-vous/agendas.pdf", agenda_views.all_agendas_pdf, name="all_agendas"),
    path(
        "<slug:slug>/rendez-vous/agendas/<uuid:job>/agendas.pdf",
        agenda_views.all_agendas_file,
        name="all_agendas_file",
    ),
    path(
        "<slug:slug>/rendez-vous/participants/<int:pk>/disponibilites/",
        views.availability_manage,
        name="availability_manage",
    ),
    *[path(f"<slug:slug>/rendez-vous/{route}", view, name=name) for route, view, name in _participant],
    *[
        path(f"<slug:slug>/rendez-vous/lien/<str:token>/{route}", view, name=f"{name}_token")
        for route, view, name in _participant
    ],
]
