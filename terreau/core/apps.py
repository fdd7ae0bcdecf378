from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "terreau.core"
    label = "core"
    verbose_name = "Réseau et antennes"

    def ready(self) -> None:
        from terreau.core import lookups  # noqa: F401  (registers the overflow-safe integer `__in`)
