"""Pytest plumbing shared by every test: service markers, strict skips in CI, system Chromium.

Domain fixtures (personas, factories) live in tests/conftest.py.
"""

import os
import shutil
from functools import cache
from pathlib import Path

import pytest

# pytest-django's live_server with Playwright's sync API trips Django's async guard.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BROWSER_TESTS = Path(__file__).parent / "tests" / "browser"
PLAYWRIGHT_FIXTURES = {"page", "context", "new_context", "browser", "browser_type"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium keeps trying to reach an internet it may not have.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    return path if shutil.which(path) else None


@cache
def database_vendor() -> str:
    from django.db import connection

    return connection.vendor


@cache
def redis_unreachable() -> str | None:
    """Why Redis cannot be used, or None when it answers a PING."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return "REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as error:
        return f"Redis at REDIS_URL does not answer: {error}"
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS) or PLAYWRIGHT_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and database_vendor() != "postgresql":
        pytest.skip(f"needs PostgreSQL; the default database is {database_vendor()} (set DATABASE_URL)")
    if item.get_closest_marker("redis") and (reason := redis_unreachable()):
        pytest.skip(f"needs Redis; {reason}")
    if item.get_closest_marker("browser") and not chromium_path():
        pytest.skip("needs Chromium at /usr/bin/chromium or CHROMIUM_PATH")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright drives the system Chromium; it cannot download its own browser here."""
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_ARGS}


# In CI a skipped test is a test that did not run: the run fails and says which and why.
_skipped: list[tuple[str, str]] = []


def _note_skip(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append((report.nodeid, reason.removeprefix("Skipped: ")))


def pytest_runtest_logreport(report):
    _note_skip(report)


def pytest_collectreport(report):
    _note_skip(report)


def _strict() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def pytest_sessionfinish(session, exitstatus):
    if _strict() and _skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if _strict() and _skipped:
        terminalreporter.section("skipped tests fail the run when CI=true", red=True, bold=True)
        for nodeid, reason in _skipped:
            terminalreporter.line(f"{nodeid}: {reason}", red=True)
