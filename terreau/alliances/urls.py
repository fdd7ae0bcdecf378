from django.urls import path

from terreau.alliances import views_charter, views_groups

app_name = "alliances"

urlpatterns = [
    # Working groups (terreau.alliances.views_groups).
    path("groupes/", views_groups.group_list, name="groups"),
    path("groupes/nouveau/", views_groups.group_create, name="group_create"),
    path("groupes/fusion/", views_groups.group_merge, name="group_merge"),
    path("groupes/<int:pk>/", views_groups.group_detail, name="group"),
    path("groupes/<int:pk>/modifier/", views_groups.group_edit, name="group_edit"),
    path("groupes/<int:pk>/membres/", views_groups.member_add, name="member_add"),
    path("groupes/<int:pk>/membres/<int:item>/", views_groups.member_change, name="member_change"),
    path("groupes/<int:pk>/demande/", views_groups.join_request, name="join_request"),
    path("groupes/<int:pk>/demandes/<int:item>/", views_groups.join_answer, name="join_answer"),
    path("groupes/<int:pk>/decisions/", views_groups.decision_add, name="decision_add"),
    path("groupes/<int:pk>/taches/", views_groups.task_add, name="task_add"),
    path("groupes/<int:pk>/taches/<int:item>/", views_groups.task_move, name="task_move"),
    path("groupes/<int:pk>/reunions/", views_groups.meeting_add, name="meeting_add"),
    path("groupes/<int:pk>/documents/", views_groups.document_add, name="document_add"),
    path("groupes/<int:pk>/documents/<int:item>/", views_groups.document_download, name="group_document"),
    path("groupes/<int:pk>/apports/", views_groups.pledge_add, name="pledge_add"),
    path("groupes/<int:pk>/apports/<int:item>/", views_groups.pledge_edit, name="pledge_edit"),
    path("groupes/<int:pk>/apports/<int:item>/retirer/", views_groups.pledge_remove, name="pledge_remove"),
    path("groupes/<int:pk>/charte/", views_charter.charter_create, name="charter_create"),
    # The collective's charter (terreau.alliances.views_charter).
    path("chartes/<int:pk>/", views_charter.charter_detail, name="charter"),
    path("chartes/<int:pk>/nouvelle-version/", views_charter.version_create, name="charter_version_create"),
    path("chartes/<int:pk>/versions/<int:number>/", views_charter.version_edit, name="charter_version_edit"),
    path(
        "chartes/<int:pk>/versions/<int:number>/soumettre/",
        views_charter.version_submit,
        name="charter_submit",
    ),
    path(
        "chartes/<int:pk>/versions/<int:number>/approuver/",
        views_charter.version_approve,
        name="charter_approve",
    ),
    path("chartes/<int:pk>/versions/<int:number>/charte.pdf", views_charter.version_pdf, name="charter_pdf"),
    path("chartes/<int:pk>/lancer/", views_charter.launch, name="charter_launch"),
]
