from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "terreau.territories"
    label = "territories"
    verbose_name = "Territoires"
