from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "terreau.directory"
    label = "directory"
    verbose_name = "Annuaire"

    def ready(self) -> None:
        from terreau.directory import signals  # noqa: F401 (connects the search index handlers)
