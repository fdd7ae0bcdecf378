from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "terreau.activities"
    label = "activities"
    verbose_name = "Activités des programmes (volontaires, séances, participants)"
