from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "terreau.programs"
    label = "programs"
    verbose_name = "Programmes collectifs"
