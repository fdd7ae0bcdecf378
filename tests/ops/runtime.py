"""The runtime harness: Terreau as deployed, in real processes, against a real PostgreSQL.

A database of its own (a copy of a template database migrated and loaded with the demo territory once per test
session), a test mailbox (an SMTP server on a loopback port that keeps every message), `terreau serve`
(gunicorn with the production settings, two workers) and `terreau worker` as subprocesses configured only
through the environment, an HTTP client that signs in and posts forms like a browser, and the logs of every
process printed when a test fails. Used by test_runtime_journey.py and test_faults.py (marker ``runtime``);
.ci/run runs them once, after the PostgreSQL pass.
"""

from __future__ import annotations

import email
import email.policy
import html
import http.cookies
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import closing, suppress
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
SECRET = "runtime-" + "s3cr3t" * 10
ORGANISER = "animatrice.poitou@demo.terreau.example.org"
DEMO_PASSWORD = "demo-terreau-2026"
SPEED_MEETING_EVENT = "demo-speed-meeting-silver-geek"
# Base32 key of the organiser's second factor when staff sign-in asks for one (django-otp's TOTP device).
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check: Callable[[], object], *, timeout: float, what: str, every: float = 0.3) -> object:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception as error:  # noqa: BLE001 (a server restarting refuses connections for a while)
            last_error = error
        else:
            if value:
                return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_error!r})")


# -- PostgreSQL -------------------------------------------------------------------------------------------------


class Server:
    """A PostgreSQL server reached with trust (or password) authentication: make, copy and drop databases."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 5432
        self.user = parts.username or "postgres"
        self.password = parts.password or ""

    def url(self, name: str) -> str:
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgres://{auth}@{self.host}:{self.port}/{name}"

    def connect(self, name: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=name,
            connect_timeout=5,
            **kwargs,
        )

    def admin(self, sql: str) -> None:
        with self.connect(autocommit=True) as connection:
            connection.execute(sql)

    def create(self, name: str, *, template: str | None = None) -> str:
        self.admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def query(self, name: str, sql: str, *params) -> list[tuple]:
        with self.connect(name) as connection:
            return connection.execute(sql, params).fetchall()

    def scalar(self, name: str, sql: str, *params):
        return self.query(name, sql, *params)[0][0]


def unique_name(kind: str) -> str:
    return f"terreau_rt_{kind}_{uuid.uuid4().hex[:10]}"


def manage(args: list[str], *, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    """`terreau ARGS` in a subprocess (the installed console command's module), checked."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "terreau.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"terreau {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


# Run once in the template database: a second factor for the organiser when staff sign-in asks for one.
SECOND_FACTOR = f"""
from django.conf import settings
from terreau.accounts.models import User
if "django_otp.plugins.otp_totp" in settings.INSTALLED_APPS:
    from django_otp.plugins.otp_totp.models import TOTPDevice
    user = User.objects.get(email="{ORGANISER}")
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name="runtime", key="{TOTP_KEY_HEX}", confirmed=True)
"""


def build_template(server: Server, name: str) -> None:
    """Migrate, load the official geography and the demo territory (about 25 s on PostgreSQL)."""
    env = base_env(server.url(name), media=None)
    manage(["migrate", "--no-input", "-v", "0"], env=env)
    manage(["createcachetable"], env=env)
    manage(["load-territories"], env=env)
    manage(["load-demo"], env=env)
    manage(["shell", "-c", SECOND_FACTOR], env=env)


# -- The test mailbox -------------------------------------------------------------------------------------------


class Mailbox:
    """An SMTP server on 127.0.0.1 that keeps every message; stop() closes the port (SMTP down)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's handler API)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self, subject_contains: str = "") -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if subject_contains in str(m["Subject"])]

    def wait_for(self, count: int, *, subject_contains: str = "", timeout: float = 60) -> list[EmailMessage]:
        wait_until(
            lambda: len(self.received(subject_contains)) >= count,
            timeout=timeout,
            what=f"{count} message(s) with {subject_contains!r} in the subject "
            f"(received: {[str(m['Subject']) for m in self.received()]})",
        )
        return self.received(subject_contains)


# -- The processes ----------------------------------------------------------------------------------------------


def base_env(database_url: str, *, media: Path | None, mail_port: int | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TERREAU_", "DJANGO_", "PYTEST_")) and key != "DATABASE_URL"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.ops.production_settings",
            "DATABASE_URL": database_url,
            "TERREAU_SECRET_KEY": SECRET,
            "TERREAU_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TERREAU_SECURE_SSL_REDIRECT": "false",
            "TERREAU_GEOCODER_URL": "",
            "TERREAU_JOBS_INLINE": "false",
            "TERREAU_LOG_LEVEL": "INFO",
            # The fault tests kill workers: a dead worker is noticed after 4 s instead of 30.
            "TERREAU_WORKER_HEARTBEAT_SECONDS": "1",
            "TERREAU_WORKER_STALLED_SECONDS": "4",
            # Failed jobs (an e-mail while SMTP is down) are retried after 3, 6, 12, 24, 48 seconds: the five
            # retries span the mail server's outage in test_faults.py even on a busy machine.
            "TERREAU_JOBS_BACKOFF_SECONDS": "3",
            "TERREAU_EMAIL_HOST": "127.0.0.1",
            "TERREAU_EMAIL_PORT": str(mail_port or 1),
            "TERREAU_EMAIL_TIMEOUT": "5",
            "TERREAU_DB_CONN_MAX_AGE": "60",
        }
    )
    if media is not None:
        env["TERREAU_MEDIA_ROOT"] = str(media)
    return env


class Runtime:
    """One deployment: a database, its media folder, a web server and workers, and the mailbox they send to."""

    def __init__(self, *, server: Server, database: str, folder: Path, mailbox: Mailbox) -> None:
        self.server = server
        self.database = database
        self.folder = folder
        self.mailbox = mailbox
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.web: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    @property
    def env(self) -> dict[str, str]:
        env = base_env(
            self.server.url(self.database), media=self.folder / "media", mail_port=self.mailbox.port
        )
        env.update(
            {
                "TERREAU_SITE_URL": self.base_url,
                "TERREAU_WEB_BIND": f"127.0.0.1:{self.port}",
                "TERREAU_WEB_WORKERS": "2",
                "TERREAU_WEB_THREADS": "2",
                "TERREAU_WEB_TIMEOUT": "120",
            }
        )
        return env

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = self.folder / f"{name}-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("w") as out:
            return subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "terreau.cli", *args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: gunicorn's workers are stopped with it
            )

    def start_web(self) -> None:
        self.web = self._spawn("web", ["serve"])
        wait_until(self._ready, timeout=120, what=f"the web server to be ready{self._tail()}", every=0.5)

    def _ready(self) -> bool:
        if self.web is not None and self.web.poll() is not None:
            raise AssertionError(f"the web server exited with {self.web.returncode}{self._tail()}")
        response = httpx.get(f"{self.base_url}/readyz", timeout=10)
        return response.status_code == 200 and response.json()["status"] == "ok"

    def start_worker(self, *args: str) -> subprocess.Popen:
        worker = self._spawn("worker", ["worker", *args])
        self.workers.append(worker)
        wait_until(
            lambda: "Travailleur démarré" in self.logs[-1].read_text() or worker.poll() is not None,
            timeout=60,
            what="the worker to start",
        )
        assert worker.poll() is None, f"the worker exited with {worker.returncode}{self._tail()}"
        return worker

    def kill(self, process: subprocess.Popen, sig: int = signal.SIGKILL, timeout: float = 30) -> None:
        """Send ``sig`` to the process group, wait; SIGKILL what is left after ``timeout`` seconds."""
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        """SIGTERM to every process at once (they stop cleanly in parallel), SIGKILL what is left after 30 s."""
        processes = [p for p in [*self.workers, self.web] if p is not None and p.poll() is None]
        for process in processes:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            self.kill(process, signal.SIGTERM)
        self.workers, self.web = [], None

    def terreau(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return manage(list(args), env=self.env, timeout=timeout)

    def sql(self, sql: str, *params) -> list[tuple]:
        return self.server.query(self.database, sql, *params)

    def scalar(self, sql: str, *params):
        return self.server.scalar(self.database, sql, *params)

    def defer(self, task: str, **kwargs) -> int:
        """Queue the job ``task`` as the application does (Procrastinate's own defer), return its id."""
        code = (
            "import json, sys\nfrom procrastinate.contrib.django import app\n"
            f"print(app.tasks[{task!r}].defer(**json.loads({json.dumps(json.dumps(kwargs))})))"
        )
        return int(self.terreau("shell", "-c", code).stdout.strip().splitlines()[-1])

    def job_status(self, job_id: int) -> str:
        return self.scalar("SELECT status FROM procrastinate_jobs WHERE id = %s", job_id)

    def _tail(self, lines: int = 60) -> str:
        parts = []
        for log in self.logs:
            if log.exists():
                text = log.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"\n--- {log.name} ---\n" + "\n".join(text))
        return "".join(parts)

    def report(self) -> str:
        """Every process's log, for a failed test's report."""
        return self._tail(lines=150)


# -- HTTP, as a browser does it ---------------------------------------------------------------------------------


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Visitor:
    """A person at their browser: follows redirects, keeps cookies, posts forms with their CSRF token.

    Cookies are kept here rather than in httpx's jar: the production settings mark them Secure, and a jar
    would not send them back over the test's plain-HTTP loopback (TLS ends at the proxy in production)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.cookies: dict[str, str] = {}
        self.client = httpx.Client(
            base_url=runtime.base_url, timeout=60, headers={"Accept-Language": "fr-FR,fr;q=0.9"}
        )

    def close(self) -> None:
        self.client.close()

    def _keep(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            for name, morsel in http.cookies.SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        """One request and its redirects, as a browser follows them (303/302 after a POST become GETs)."""
        for _hop in range(10):
            headers = {**kwargs.pop("headers", {})}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            response = self.client.request(method, path, headers=headers, **kwargs)
            self._keep(response)
            if not response.is_redirect:
                return response
            path = response.headers["Location"]
            method, kwargs = "GET", {}
        raise AssertionError(f"too many redirects from {path}")

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, page: str | httpx.Response, action: str | None = None, **data) -> httpx.Response:
        """Post ``data`` to ``action`` (default: the page itself) with the CSRF token of ``page``."""
        response = self.get(page) if isinstance(page, str) else page
        assert response.status_code == 200, (response.status_code, response.text[:500])
        token = _CSRF.search(response.text)
        assert token, f"no CSRF token on {response.url}"
        target = action or response.url.path
        return self.request(
            "POST",
            target,
            data={"csrfmiddlewaretoken": html.unescape(token.group(1)), **data},
            headers={"Referer": str(response.url)},
        )

    def sign_in(self, email_address: str, password: str = DEMO_PASSWORD) -> httpx.Response:
        response = self.post_form("/comptes/connexion/", username=email_address, password=password)
        assert response.status_code == 200, response.text[:1000]
        second = _second_factor_field(response.text)
        if second is not None:
            response = self.post_form(response, **{second: _fresh_totp_code()})
            assert response.status_code == 200, response.text[:1000]
        assert "/comptes/connexion/" not in response.url.path, (
            f"still on the sign-in page: {response.text[:800]}"
        )
        return response


_USED_STEPS: set[int] = set()


def _fresh_totp_code() -> str:
    """The organiser's current TOTP code; a code is accepted once only, so wait for the next 30-second step
    when this one was used already (a second sign-in, or the restored copy of a database that saw it)."""
    from django_otp.oath import TOTP

    totp = TOTP(bytes.fromhex(TOTP_KEY_HEX))
    while totp.t() in _USED_STEPS:
        time.sleep(1)
        totp = TOTP(bytes.fromhex(TOTP_KEY_HEX))
    _USED_STEPS.add(totp.t())
    return f"{totp.token():06d}"


def _second_factor_field(page: str) -> str | None:
    """The name of the code field when the page after the password asks for a second factor."""
    match = re.search(r'<input[^>]*name="((?:otp_)?(?:token|code)[^"]*)"', page)
    return match.group(1) if match else None


def text_of(response: httpx.Response) -> str:
    """The page's visible text, tags dropped and spaces collapsed (non-breaking spaces kept as spaces)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.text, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)).replace("\u202f", " ")).strip()


def cleanup_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


# -- A PostgreSQL server of the test's own, to restart -----------------------------------------------------------


class PrivateCluster:
    """A PostgreSQL cluster in a temporary folder on a free port, run as the postgres system user: the test
    restarts it without touching the machine's server that other tests share. Needs root (or the postgres
    user) and the server programs; ``available()`` says whether both are here."""

    BIN = Path("/usr/lib/postgresql")

    def __init__(self) -> None:
        self.bin = self._bin()
        self.port = free_port()
        self.folder = Path(f"/tmp/terreau-rt-pg-{uuid.uuid4().hex[:8]}")  # noqa: S108 (owned by postgres)
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.server = Server(f"postgres://postgres@127.0.0.1:{self.port}/postgres")

    @classmethod
    def _bin(cls) -> Path | None:
        versions = sorted(cls.BIN.glob("*/bin/pg_ctl")) if cls.BIN.exists() else []
        return versions[-1].parent if versions else None

    @classmethod
    def available(cls) -> bool:
        return cls._bin() is not None and hasattr(os, "geteuid") and os.geteuid() == 0

    def _as_postgres(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run(  # noqa: S603
            ["runuser", "-u", "postgres", "--", *args],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd="/tmp",  # noqa: S108
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise AssertionError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}\n{log}")

    def create(self) -> None:
        self.folder.mkdir(mode=0o700)
        shutil.chown(self.folder, "postgres", "postgres")
        self._as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"
        )
        self.start()

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", action
        )

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self._ctl("restart")

    def destroy(self) -> None:
        with suppress(AssertionError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def copy_from(self, source: Server, name: str) -> None:
        """Copy the database ``name`` of ``source`` into this cluster under the same name."""
        self.server.create(name)
        dump = subprocess.Popen(  # noqa: S603
            [str(self.bin / "pg_dump"), "-Fc", "-d", source.url(name)], stdout=subprocess.PIPE
        )
        restore = subprocess.run(  # noqa: S603
            [str(self.bin / "pg_restore"), "--no-owner", "-d", self.server.url(name)],
            stdin=dump.stdout,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        dump.wait(timeout=60)
        assert dump.returncode == 0 and restore.returncode == 0, restore.stderr


# -- The speed-meeting, as its organiser runs it ----------------------------------------------------------------

PLANNING = f"/rencontres/{SPEED_MEETING_EVENT}/rendez-vous/"


def plan_speed_meeting(visitor: Visitor, *, timeout: float = 180) -> httpx.Response:
    """Press "Recalculer le planning"; when planning is a job, follow its progress page until it ends.
    Returns the page that says how it went."""
    response = visitor.post_form(PLANNING, action=f"{PLANNING}planifier/")
    assert response.status_code == 200, response.text[:1000]
    if not response.url.path.startswith("/traitements/"):
        return response  # planned within the request
    progress = response.url.path

    def finished() -> httpx.Response | None:
        page = visitor.get(progress)
        assert page.status_code == 200, page.status_code
        text = text_of(page)
        return page if ("Traitement terminé" in text or "n'a pas abouti" in text) else None

    return wait_until(finished, timeout=timeout, what="the planning job to finish", every=1)


def publish(visitor: Visitor, *, final: bool) -> httpx.Response:
    data = {"final": "1"} if final else {}
    response = visitor.post_form(PLANNING, action=f"{PLANNING}publier/", **data)
    assert response.status_code == 200, response.text[:1000]
    return response


def seated_emails(runtime: Runtime) -> set[str]:
    rows = runtime.sql(
        "SELECT r.email FROM events_registration r JOIN events_event e ON e.id = r.event_id "
        "WHERE e.slug = %s AND r.status IN ('confirmed', 'attended')",
        SPEED_MEETING_EVENT,
    )
    return {email_address for (email_address,) in rows}


def meeting_pairs(runtime: Runtime) -> list[tuple[int, int]]:
    return runtime.sql(
        "SELECT LEAST(m.a_id, m.b_id), GREATEST(m.a_id, m.b_id) FROM meetings_meeting m "
        "JOIN meetings_speedmeeting s ON s.id = m.speed_meeting_id JOIN events_event e ON e.id = s.event_id "
        "WHERE e.slug = %s",
        SPEED_MEETING_EVENT,
    )


# A speed-meeting whose plan takes seconds to compute: participants meet whoever they like (not two sides),
# each wishes 30 others, some cannot come to every round. With 200 participants the planner searches for about
# ten seconds (its budget grows with the number of wished pairs), long enough to kill a worker mid-way.
GROW = (
    f"SLUG = {SPEED_MEETING_EVENT!r}\n"
    + """
import random
from django.db import transaction
from terreau.events.models import Event, Registration
from terreau.meetings.models import Participation, SpeedMeeting, Wish
count = 200
rng = random.Random(2026)
with transaction.atomic():
    event = Event.objects.get(slug=SLUG)
    regs = Registration.objects.bulk_create(
        Registration(event=event, name=f"Participant {i:03d}", email=f"participant{i:03d}@runtime.example.org",
                     status=Registration.Status.CONFIRMED, organisation_name=f"Structure {i:03d}")
        for i in range(count)
    )
    Participation.objects.bulk_create(
        Participation(registration=r, unavailable_rounds=sorted(rng.sample(range(6), rng.choice([0, 0, 1, 2]))))
        for r in regs
    )
    Wish.objects.bulk_create(
        Wish(source=r, target=t, level=rng.choice([Wish.Level.MUST, Wish.Level.LIKE]))
        for r in regs for t in rng.sample([x for x in regs if x is not r], 30)
    )
    SpeedMeeting.objects.filter(event=event).update(bipartite=False, tables=(count + 30) // 2)
print("grown")
"""
)
