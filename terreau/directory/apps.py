from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "terreau.directory"
    label = "directory"
    verbose_name = "Annuaire"

    def ready(self) -> None:
        from terreau.core.access import register_roles
        from terreau.directory.roles import membership_roles

        register_roles(membership_roles)
        from terreau.directory import signals  # noqa: F401 (connects the search index handlers)
