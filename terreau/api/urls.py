from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from terreau.api import contributions as contributions_api
from terreau.api import diagnoses as diagnoses_api
from terreau.api import evaluations as evaluations_api
from terreau.api import matching as matching_api
from terreau.api import partnerships as partnerships_api
from terreau.api import receipts as receipts_api
from terreau.api import views
from terreau.api import working_groups as groups_api

router = DefaultRouter()
router.register("organisations", views.OrganisationViewSet, basename="api-organisation")
router.register("needs", views.NeedViewSet, basename="api-need")
router.register("offers", views.OfferViewSet, basename="api-offer")
router.register("regions", views.RegionViewSet, basename="api-region")
router.register("departments", views.DepartmentViewSet, basename="api-department")
router.register("communes", views.CommuneViewSet, basename="api-commune")
router.register("partnerships", partnerships_api.PartnershipViewSet, basename="api-partnership")
router.register("diagnoses", diagnoses_api.DiagnosisViewSet, basename="api-diagnosis")
router.register("key-issues", diagnoses_api.KeyIssueViewSet, basename="api-key-issue")
router.register("working-groups", groups_api.WorkingGroupViewSet, basename="api-working-group")
router.register("charters", groups_api.CharterViewSet, basename="api-charter")
router.register("contributions", contributions_api.ContributionViewSet, basename="api-contribution")
router.register("receipts", receipts_api.ReceiptViewSet, basename="api-receipt")
router.register("evaluations", evaluations_api.EvaluationViewSet, basename="api-evaluation")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script from a URL: no inline script, the CSP stays strict.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("jeton/", views.token_page, name="api-token"),
    path(
        "organisations/<slug:slug>/suggestions/",
        matching_api.SuggestionListView.as_view(),
        name="api-organisation-suggestions",
    ),
    path("", include(router.urls)),
    # Any other /api/ address answers a JSON 404 (paths without their final slash are redirected to it
    # first by APPEND_SLASH, so the endpoints' own redirects still work).
    re_path(r"^[\s\S]*/$", views.not_found),
]
