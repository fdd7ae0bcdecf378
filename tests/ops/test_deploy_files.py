"""The deployment examples of deploy/ as the tools that read them see them: `nginx -t` on the site file (when
nginx is installed; .ci/run installs Debian's as root) and the worker's systemd unit among the verified units
(tests/ops/test_production_server.py verifies every unit of deploy/systemd/ with systemd-analyze)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_nginx_accepts_the_site_configuration(tmp_path):
    # A throw-away certificate where the site file names Let's Encrypt's, and a main file around the site file.
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(  # noqa: S603
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=terreau.example.org",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],  # fmt: skip
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = (DEPLOY / "nginx" / "terreau.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/terreau.example.org/", f"{tmp_path}/").replace(
        "/srv/terreau", str(ROOT)
    )
    (tmp_path / "terreau.conf").write_text(site)
    temp = "\n".join(
        f"  {kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n{temp}\n  include {tmp_path}/terreau.conf;\n}}\n"
    )
    result = subprocess.run(  # noqa: S603
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    warnings = [line for line in output.splitlines() if "[warn]" in line and "http2" not in line]
    assert "[emerg]" not in output and not warnings, output


def test_the_worker_has_its_unit_next_to_the_web_server():
    unit = (DEPLOY / "systemd" / "terreau-worker.service").read_text()
    assert "ExecStart=/srv/terreau/.venv/bin/terreau worker" in unit
    assert "EnvironmentFile=/etc/terreau/terreau.env" in unit
    # Stopping lets the jobs under way finish; a dead worker's jobs are retried, so systemd restarts it always.
    assert "KillSignal=SIGTERM" in unit and "Restart=always" in unit
