from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "terreau.meetings"
    label = "meetings"
    verbose_name = "Rencontres"
