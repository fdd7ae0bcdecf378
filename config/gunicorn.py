"""Gunicorn's configuration for Terreau's web processes, every value from the environment.

Started by `terreau serve` (or scripts/serve.sh, or the systemd unit in deploy/systemd/):
    gunicorn -c python:config.gunicorn config.wsgi
Variables (docs/deployment.md): TERREAU_WEB_BIND, TERREAU_WEB_WORKERS, TERREAU_WEB_THREADS,
TERREAU_WEB_TIMEOUT, TERREAU_WEB_MAX_REQUESTS, TERREAU_LOG_LEVEL.
"""

import os

from config.env import env_int, env_list, env_str

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.production")

# Behind the reverse proxy on the same machine by default; 0.0.0.0:8000 when the proxy is elsewhere.
bind = env_list("TERREAU_WEB_BIND", ["127.0.0.1:8000"])
# Sync workers: 2 per core plus one is gunicorn's rule of thumb; requests never wait on long work.
workers = env_int("TERREAU_WEB_WORKERS", 2 * (os.cpu_count() or 1) + 1)
threads = env_int("TERREAU_WEB_THREADS", 1)
timeout = env_int("TERREAU_WEB_TIMEOUT", 60)
graceful_timeout = env_int("TERREAU_WEB_GRACEFUL_TIMEOUT", 30)
keepalive = env_int("TERREAU_WEB_KEEPALIVE", 5)
# Recycle workers now and then (with jitter so they do not all restart together): bounds any slow leak.
max_requests = env_int("TERREAU_WEB_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# The proxy's X-Forwarded-Proto and X-Forwarded-For are trusted from these addresses only.
forwarded_allow_ips = env_str("TERREAU_WEB_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Workers' heartbeat files; in a container whose /tmp is on disk, point it at a memory file system.
worker_tmp_dir = env_str("TERREAU_WEB_TMP_DIR", "") or None
proc_name = "terreau-web"
# No runtime control socket (gunicorn 25+): the service manager's signals (HUP reload, TERM stop) suffice,
# and its default path in the home directory is shared by every gunicorn the user runs.
control_socket_disable = True

# Access and error lines as JSON on standard output, like the application's (terreau/core/observability.py).
loglevel = env_str("TERREAU_LOG_LEVEL", "INFO").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "terreau.core.observability.JsonFormatter"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"},
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}
