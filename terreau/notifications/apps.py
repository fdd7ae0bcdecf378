from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "terreau.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Each domain app declares its kinds of message in its own ``notification_kinds.py`` (data, beside the
        # app): they are imported here, so this app never names a domain app.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("notification_kinds")
