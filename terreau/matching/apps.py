from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "terreau.matching"
    label = "matching"
    verbose_name = "Complémentarités"

    def ready(self) -> None:
        from terreau.core.jobs import worker_started
        from terreau.matching import signals  # noqa: F401  (connects the index's signal handlers)

        worker_started.connect(_warm_on_worker_start, dispatch_uid="matching.warm")


def _warm_on_worker_start(**_kwargs) -> None:
    """A starting worker builds its matching index before the first change asks for it (matching.warm)."""
    from terreau.core.jobs import defer
    from terreau.matching.tasks import warm_index

    defer(warm_index)
