from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "terreau.matching"
    label = "matching"
    verbose_name = "Complémentarités"
