from django.urls import path

from terreau.matching import views

app_name = "matching"
urlpatterns = [
    path("", views.home, name="home"),
    path("antenne/", views.territory_home, name="territory_home"),
    path("antenne/<slug:slug>/", views.territory, name="territory"),
    path("antenne/<slug:slug>/alliances.csv", views.territory_alliances_csv, name="territory_alliances_csv"),
    path(
        "antenne/<slug:slug>/besoins-non-pourvus.csv", views.territory_unmet_csv, name="territory_unmet_csv"
    ),
    path("<slug:slug>/", views.suggestions, name="suggestions"),
    path("<slug:slug>/pas-pertinent/", views.dismiss, name="dismiss"),
]
