from django.contrib import admin
from django.urls import include, path, re_path

from terreau.core.views import public_logo

urlpatterns = [
    path("", include("terreau.directory.urls")),
    path("comptes/", include("terreau.accounts.urls")),
    path("partenariats/", include("terreau.partnerships.urls")),
    path("alliances/", include("terreau.alliances.urls")),
    path("contributions/", include("terreau.contributions.urls")),
    path("evaluation/", include("terreau.evaluation.urls")),
    path("programmes/", include("terreau.programs.urls")),
    path("programmes/", include("terreau.activities.urls")),
    path("complementarites/", include("terreau.matching.urls")),
    path("rencontres/", include("terreau.meetings.urls")),
    path("rencontres/", include("terreau.events.urls")),
    path("territoires/", include("terreau.territories.urls")),
    path("notifications/", include("terreau.notifications.urls")),
    path("api/", include("terreau.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("terreau.core.urls")),
]
# Organisation logos are public: the application serves them, DEBUG or not (in production nginx answers first,
# see docs/deployment.md). Every other upload is a private document, served only by its access-checked view.
urlpatterns.append(re_path(r"^media/logos/(?P<path>.+)$", public_logo, name="public_logo"))

handler404 = "terreau.core.views.page_not_found"
handler403 = "terreau.core.views.permission_denied"
handler500 = "terreau.core.views.server_error"
handler400 = "terreau.core.views.bad_request"
