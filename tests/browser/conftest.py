"""Browser tests: the live server must be quiet before the database is emptied between tests."""

import time

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _server_quiet_before_flush(request):
    """After a test, wait for the live server's requests to finish before the flush.

    The browser may still be fetching when a test ends (the service worker caches the app shell
    in the background). A request still running holds locks that the flush's TRUNCATE waits for,
    and PostgreSQL breaks that tie as a deadlock. This fixture is set up after the live server
    and torn down before it (and after the page), so it runs in the gap between the two.
    """
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("live_server")
    yield
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
