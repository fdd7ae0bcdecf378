from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "terreau.matching"
    label = "matching"
    verbose_name = "Complémentarités"

    def ready(self) -> None:
        from terreau.matching import signals  # noqa: F401  (connects the index's signal handlers)
