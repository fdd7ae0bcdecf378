from django.urls import path

from terreau.core import job_views, views

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("traitements/<uuid:pk>/", job_views.tracked_job, name="tracked_job"),
]
