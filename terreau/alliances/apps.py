from django.apps import AppConfig


class AlliancesConfig(AppConfig):
    name = "terreau.alliances"
    label = "alliances"
    verbose_name = "Alliances"
