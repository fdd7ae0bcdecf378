from django.conf import settings
from django.http import HttpRequest

from terreau.core.access import actor_for


def terreau(request: HttpRequest) -> dict:
    return {
        "actor": actor_for(getattr(request, "user", None)),
        "demo_mode": settings.TERREAU_DEMO_BANNER,
    }
