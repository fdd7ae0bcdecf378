from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "terreau.activities"
    label = "activities"
    verbose_name = "Activités des programmes (volontaires, séances, participants)"

    def ready(self) -> None:
        from terreau.activities import stats  # noqa: F401  (connects the dashboard figures' signal handlers)
