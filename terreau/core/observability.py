"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

Production settings (config/production.py) and the web server's configuration (config/gunicorn.py) format
every log line with ``JsonFormatter``; ``RequestIdMiddleware`` gives each request an id (the reverse proxy's
``X-Request-ID`` when it sends a sane one, a fresh one otherwise), returns it in the response's
``X-Request-ID`` header and puts it on every line logged while the request runs.

This module is imported by the web server before Django is set up: it imports nothing from Django at load.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID_HEADER = "X-Request-ID"
_request_id: ContextVar[str] = ContextVar("terreau_request_id", default="")
# What an upstream id may look like: nginx's $request_id is 32 hex digits; a UUID, a trace id pass too.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

# Attributes every LogRecord has: anything else was passed through `extra=` and goes to the JSON line.
_RECORD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def current_request_id() -> str:
    return _request_id.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, exception, plus
    anything passed with ``extra=``. The web server's access lines become method, path, status, bytes,
    duration_ms, remote and request_id (never the query string, which may hold a token)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            line.update(_access_fields(record.args))
        else:
            line["message"] = record.getMessage()
            request_id = _request_id.get()
            if request_id:
                line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in line and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str, ensure_ascii=False)


def _access_fields(atoms: Mapping[str, Any]) -> dict[str, Any]:
    def atom(key: str) -> str:
        value = atoms.get(key, "-")
        return "" if value in (None, "-") else str(value)

    fields: dict[str, Any] = {
        "message": f"{atom('m')} {atom('U')} {atom('s')}",
        "method": atom("m"),
        "path": atom("U"),
        "status": int(atom("s")) if atom("s").isdigit() else atom("s"),
        "bytes": int(atom("B")) if atom("B").isdigit() else 0,
        "duration_ms": round(int(atom("D")) / 1000, 1) if atom("D").isdigit() else None,
        "remote": atom("h"),
    }
    request_id = atom("{x-request-id}o") or atom("{x-request-id}i")
    if request_id:
        fields["request_id"] = request_id
    return fields


class RequestIdMiddleware:
    """Gives each request an id, on its log lines and in the response's X-Request-ID header."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        upstream = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = upstream if _SANE_ID.match(upstream) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response
