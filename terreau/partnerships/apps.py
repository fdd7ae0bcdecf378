from django.apps import AppConfig


class PartnershipsConfig(AppConfig):
    name = "terreau.partnerships"
    label = "partnerships"
    verbose_name = "Partenariats"
