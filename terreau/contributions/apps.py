from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "terreau.contributions"
    label = "contributions"
    verbose_name = "Contributions"
