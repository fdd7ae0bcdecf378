from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "terreau.directory"
    label = "directory"
    verbose_name = "Annuaire"

    def ready(self) -> None:
        from terreau.core.access import register_roles
        from terreau.directory.roles import membership_roles

        register_roles(membership_roles)
        from django.db.models.signals import post_migrate

        from terreau.directory import signals  # connects the search index handlers

        post_migrate.connect(signals.index_unindexed, sender=self)
