from django.urls import path

from terreau.alliances import consultation_views as cv
from terreau.alliances import diagnosis_views as dv
from terreau.alliances import indicator_views as iv
from terreau.alliances import views_charter, views_group_edits, views_groups, views_territory

app_name = "alliances"

urlpatterns = [
    # Territorial diagnoses (terreau.alliances.diagnosis_views, consultation_views, indicator_views).
    path("diagnostics/", dv.diagnosis_list, name="diagnoses"),
    path("diagnostics/nouveau/", dv.diagnosis_create, name="diagnosis_create"),
    path("diagnostics/intercommunalites/", views_territory.epci_lookup, name="epci_lookup"),
    path("diagnostics/<int:pk>/", dv.diagnosis_detail, name="diagnosis"),
    path("diagnostics/<int:pk>/modifier/", dv.diagnosis_edit, name="diagnosis_edit"),
    path("diagnostics/<int:pk>/etat/", dv.diagnosis_move, name="diagnosis_move"),
    path(
        "diagnostics/<int:pk>/consultation/",
        dv.diagnosis_detail,
        {"tab": "consultation"},
        name="diagnosis_consultation",
    ),
    path("diagnostics/<int:pk>/consultation/inviter/", dv.invite, name="diagnosis_invite"),
    path(
        "diagnostics/<int:pk>/indicateurs/",
        dv.diagnosis_detail,
        {"tab": "indicators"},
        name="diagnosis_indicators",
    ),
    path("diagnostics/<int:pk>/indicateurs/importer/", iv.indicators_upload, name="indicators_upload"),
    path(
        "diagnostics/<int:pk>/indicateurs/imports/<int:item>/", iv.indicators_report, name="indicators_report"
    ),
    path(
        "diagnostics/<int:pk>/connaissances/",
        dv.diagnosis_detail,
        {"tab": "knowledge"},
        name="diagnosis_knowledge",
    ),
    path(
        "diagnostics/<int:pk>/enjeux/",
        dv.diagnosis_detail,
        {"tab": "key_issues"},
        name="diagnosis_key_issues",
    ),
    path("diagnostics/<int:pk>/enjeux/nouveau/", dv.key_issue_create, name="key_issue_create"),
    path("diagnostics/<int:pk>/enjeux/<int:item>/", dv.key_issue_edit, name="key_issue_edit"),
    path("diagnostics/<int:pk>/enjeux/<int:item>/supprimer/", dv.key_issue_delete, name="key_issue_delete"),
    path("diagnostics/<int:pk>/enjeux/retenir/", dv.key_issues_choose, name="key_issues_choose"),
    path(
        "diagnostics/<int:pk>/publication/",
        dv.diagnosis_detail,
        {"tab": "publication"},
        name="diagnosis_publication",
    ),
    path("diagnostics/<int:pk>/publie/", dv.diagnosis_public, name="diagnosis_public"),
    path("diagnostics/<int:pk>/diagnostic.pdf", dv.diagnosis_pdf, name="diagnosis_pdf"),
    path("diagnostics/<int:pk>/classement/", cv.ranking_member, name="ranking_member"),
    path("reponses/<int:pk>/", cv.answer_member_edit, name="answer_member_edit"),
    path("consultation/<str:token>/", cv.consultation_public, name="consultation_public"),
    path("consultation/invitation/<str:token>/", cv.consultation_invited, name="consultation_invited"),
    path("consultation/reponse/<str:token>/", cv.consultation_edit, name="consultation_edit"),
    path("consultation/classement/<str:token>/", cv.ranking_link, name="ranking_link"),
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
    # Closing a group, editing and deleting what it holds (terreau.alliances.views_group_edits).
    path("groupes/<int:pk>/clore/", views_group_edits.group_close, name="group_close"),
    path("groupes/<int:pk>/rouvrir/", views_group_edits.group_reopen, name="group_reopen"),
    path("groupes/<int:pk>/reunions/<int:item>/", views_group_edits.meeting_edit, name="meeting_edit"),
    path(
        "groupes/<int:pk>/reunions/<int:item>/supprimer/",
        views_group_edits.meeting_delete,
        name="meeting_delete",
    ),
    path("groupes/<int:pk>/taches/<int:item>/modifier/", views_group_edits.task_edit, name="task_edit"),
    path("groupes/<int:pk>/taches/<int:item>/supprimer/", views_group_edits.task_delete, name="task_delete"),
    path("groupes/<int:pk>/decisions/<int:item>/", views_group_edits.decision_edit, name="decision_edit"),
    path(
        "groupes/<int:pk>/decisions/<int:item>/supprimer/",
        views_group_edits.decision_delete,
        name="decision_delete",
    ),
    path(
        "groupes/<int:pk>/documents/<int:item>/modifier/",
        views_group_edits.document_edit,
        name="document_edit",
    ),
    path(
        "groupes/<int:pk>/documents/<int:item>/supprimer/",
        views_group_edits.document_delete,
        name="document_delete",
    ),
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
