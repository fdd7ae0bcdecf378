from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "terreau.events"
    label = "events"
    verbose_name = "Rencontres et ateliers"
