from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "terreau.directory"
    label = "directory"
    verbose_name = "Annuaire"
