import os
import zlib

import pytest

# Fixtures through which a test reaches the database (directly or through another fixture: ``fixturenames``
# holds the whole closure).
_DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_setup", "live_server", "client", "admin_client"}
)


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="Run only the tests that use the database (CI's PostgreSQL pass: the others ran in the SQLite pass, "
        "and nothing in them depends on the database engine).",
    )


# CI (.ci/run) runs the database tests twice, on SQLite then on PostgreSQL. With TERREAU_CI_SPLIT set (by .ci/run
# only), the slowest of them (permission matrices, demo loads, the schema fuzzing, a migration test: about half of
# the suite's time) run once per CI run instead: each test on one engine, chosen by a stable hash of its id, so that
# both engines see about half of every matrix. The README's test command alone, or a run on PostgreSQL without the
# variable, runs every test.
CI_SPLIT = (
    "tests/test_permissions.py::",
    "tests/test_admin_permissions.py::",
    "tests/evaluation/test_permissions_matrix.py::",
    "tests/api/test_api_schemathesis.py::",
    "tests/demo/",
    "tests/activities/test_activities_demo.py::",
    "tests/alliances/test_groups_demo.py::",
    "tests/contributions/test_contributions_demo.py::",
    "tests/events/test_events_demo.py::",
    "tests/programs/test_programs_demo.py::",
    "tests/programs/test_programs.py::test_migration_removes_duplicate_roles_keeping_the_oldest",
)
ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _runs_on_this_engine(nodeid: str) -> bool:
    return not nodeid.startswith(CI_SPLIT) or zlib.crc32(nodeid.encode()) % 2 == int(ON_POSTGRESQL)


def pytest_collection_modifyitems(config, items):
    keep, drop = [], []
    database_only, split = config.getoption("--database-tests-only"), bool(os.environ.get("TERREAU_CI_SPLIT"))
    for item in items:
        uses_database = item.get_closest_marker("django_db") is not None or bool(
            _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        wanted = (uses_database or not database_only) and (not split or _runs_on_this_engine(item.nodeid))
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by tests there are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _empty_cache():
    # Cached values (the directory's filter choices...) must not leak from a test's rolled-back data.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Hashing passwords for real costs seconds per test; the hasher itself is Django's concern.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TERREAU_GEOCODER_URL = ""  # tests never reach the network; geocoding tests mock it
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AXES_ENABLED = True
    # Jobs run in the test's process after the commit; the queue's own tests (tests/core/test_jobs.py)
    # switch this off and run a real worker on PostgreSQL.
    settings.TERREAU_JOBS_INLINE = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush every table after them, data migrations included: put the theme codes
    (seeded by directory's migration 0002) back so every test starts from the same reference data."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return
    request.getfixturevalue("transactional_db")
    from terreau.directory.models import Theme
    from terreau.vocabulary import THEMES

    Theme.objects.bulk_create(
        [Theme(code=c, label=label) for c, label in THEMES.items()], ignore_conflicts=True
    )


@pytest.fixture(autouse=True)
def _forced_logins_verified(monkeypatch):
    """Staff must pass the second factor (terreau.accounts.two_factor_middleware), and enforcement stays on in
    tests. A test that signs someone in with ``client.force_login(user)`` gets, as after a real sign-in with a
    code, a session verified the way django_otp.login does it: the user is given a confirmed device (an empty
    set of backup codes, so that they still count as having no authenticator app) and the session names it.
    Tests of the second factor itself sign in through the pages, or drop the verification with
    tests.accounts.two_factor_support.unverify."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if getattr(user, "pk", None) is None:
            return
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name="tests", defaults={"confirmed": True}
        )
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)
