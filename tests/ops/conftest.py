"""Fixtures of the runtime tests (tests/ops/runtime.py): skipped unless the suite runs on PostgreSQL."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.ops.runtime import Mailbox, Runtime, Server, build_template, cleanup_folder, unique_name


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "runtime: starts the production server, workers and a mailbox against PostgreSQL"
    )


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture(scope="session")
def pg_server() -> Server:
    url = _postgres_url()
    if url is None:
        pytest.skip("the runtime tests need PostgreSQL (DATABASE_URL=postgres://…)")
    return Server(url)


@pytest.fixture(scope="session")
def template_database(pg_server):
    """Migrated, with the official geography and the demo territory: each runtime test starts from a copy."""
    name = unique_name("template")
    pg_server.create(name)
    try:
        build_template(pg_server, name)
        yield name
    finally:
        pg_server.drop(name)


@pytest.fixture
def mailbox():
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def runtime_folder():
    folder = Path(tempfile.mkdtemp(prefix="terreau-rt-"))
    yield folder
    cleanup_folder(folder)


@pytest.fixture
def runtime(request, pg_server, template_database, mailbox, runtime_folder):
    """A deployment on a fresh copy of the template database; its processes are stopped after the test and
    their logs attached to its report when it fails."""
    database = unique_name("db")
    pg_server.create(database, template=template_database)
    deployment = Runtime(server=pg_server, database=database, folder=runtime_folder, mailbox=mailbox)
    yield deployment
    deployment.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(deployment.report())  # noqa: T201 (shown in the failed test's captured output)
    pg_server.drop(database)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
