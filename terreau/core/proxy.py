"""The client's address behind reverse proxies, for login rate limiting (django-axes' AXES_CLIENT_IP_CALLABLE).

Behind a reverse proxy every request comes from the proxy's address, so limits per address would lock
everyone out at once. With ``TERREAU_TRUSTED_PROXIES=N`` (production settings), the client is the address
the N-th proxy from the end appended to ``X-Forwarded-For``; anything a client wrote further left is ignored.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    proxies = getattr(settings, "TERREAU_TRUSTED_PROXIES", 0)
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")
