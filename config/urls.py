from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

urlpatterns = [
    path("", include("terreau.directory.urls")),
    path("comptes/", include("terreau.accounts.urls")),
    path("partenariats/", include("terreau.partnerships.urls")),
    path("programmes/", include("terreau.programs.urls")),
    path("programmes/", include("terreau.activities.urls")),
    path("complementarites/", include("terreau.matching.urls")),
    path("rencontres/", include("terreau.meetings.urls")),
    path("rencontres/", include("terreau.events.urls")),
    path("territoires/", include("terreau.territories.urls")),
    path("api/", include("terreau.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("terreau.core.urls")),
]
if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))

handler404 = "terreau.core.views.page_not_found"
handler403 = "terreau.core.views.permission_denied"
handler500 = "terreau.core.views.server_error"
handler400 = "terreau.core.views.bad_request"
