"""The production web server as deployed: gunicorn started by `terreau serve` with the production settings,
configured only through the environment, on a loopback port; and the systemd units in deploy/systemd/."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SECRET = "ci-" + "k3y" * 20


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url(tmp_path: Path) -> str:
    """A migrated database for the server: a file copy of the test database on SQLite, the test database
    itself on PostgreSQL (its schema is committed; the server only reads)."""
    if connection.vendor == "sqlite":
        target = tmp_path / "terreau.sqlite3"
        connection.ensure_connection()
        with closing(sqlite3.connect(target)) as copy:
            connection.connection.backup(copy)
        return f"sqlite:///{target}"
    conf = connection.settings_dict
    auth = conf["USER"] + (f":{conf['PASSWORD']}" if conf["PASSWORD"] else "")
    return f"postgres://{auth}@{conf['HOST'] or 'localhost'}:{conf['PORT'] or 5432}/{conf['NAME']}"


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (a loopback http URL)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# Transactional: SQLite's backup API cannot read the test database while a test transaction holds it.
@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_the_production_settings(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.ops.production_settings",
        "DATABASE_URL": _database_url(tmp_path),
        "TERREAU_SECRET_KEY": SECRET,
        "TERREAU_ALLOWED_HOSTS": "terreau.example.org",
        "TERREAU_MEDIA_ROOT": str(tmp_path / "media"),
        "TERREAU_CACHE_URL": "locmem://",
        "TERREAU_GEOCODER_URL": "",
        "TERREAU_WEB_BIND": f"127.0.0.1:{port}",
        "TERREAU_WEB_WORKERS": "1",
        "TERREAU_WEB_THREADS": "2",
    }
    env.pop("TERREAU_DEBUG", None)
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "terreau.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _, _ = _get(f"{base}/healthz")
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert status == 200

        # Probes: plain HTTP, any host name (a load balancer calls the machine by its address).
        status, headers, body = _get(f"{base}/readyz")
        assert (status, json.loads(body)["status"]) == (200, "ok"), body
        assert "Set-Cookie" not in headers

        # A page: redirected to HTTPS, then served once the proxy says the request came over HTTPS.
        site = {"Host": "terreau.example.org"}
        status, headers, _ = _get(f"{base}/", site)
        assert status == 301 and headers["Location"] == "https://terreau.example.org/"
        status, headers, body = _get(
            f"{base}/", {**site, "X-Forwarded-Proto": "https", "X-Request-ID": "req-0042-test"}
        )
        assert status == 200, body[:2000]
        assert "Strict-Transport-Security" in headers
        assert headers["X-Request-ID"] == "req-0042-test"
        assert "<html" in body.decode()
        assert _get(f"{base}/", {"Host": "evil.example.com", "X-Forwarded-Proto": "https"})[0] == 400
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode == 0, log.read_text()

    # Every line the server wrote is one JSON object; the page's access line carries the request id.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert {"method": "GET", "path": "/", "status": 200, "request_id": "req-0042-test"}.items() <= next(
        line for line in access if line["status"] == 200 and line["path"] == "/"
    ).items()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_units_verify(tmp_path):
    # The units name /srv/terreau; systemd-analyze checks the programs exist, so point them at this checkout.
    units = []
    for unit in sorted((ROOT / "deploy" / "systemd").iterdir()):
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace("/srv/terreau", str(ROOT)))
        units.append(str(copy))
    assert any(u.endswith("terreau-web.service") for u in units)
    result = subprocess.run(
        ["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not [line for line in output.splitlines() if "terreau" in line], output
