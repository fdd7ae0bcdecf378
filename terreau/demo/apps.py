from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo territory: no models, only the `load-demo` command and the data it loads."""

    name = "terreau.demo"
    label = "demo"
    verbose_name = "Démonstration"
