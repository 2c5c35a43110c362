"""The client's address behind reverse proxies (TRUSTED_PROXY_COUNT), read by one helper."""

import os
import subprocess
import sys

import pytest
from django.test import RequestFactory
from django.urls import reverse

from cadres.middleware import client_address
from tests import factories as f

PROXY = "10.0.0.1"


def address(forwarded=None, remote=PROXY) -> str:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_by_default_the_client_is_the_connection_and_the_header_is_ignored(settings):
    assert settings.TRUSTED_PROXY_COUNT == 0
    assert address() == PROXY
    assert address("203.0.113.7") == PROXY


def test_behind_proxies_it_is_the_entry_the_outermost_trusted_proxy_wrote(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert address("203.0.113.7") == "203.0.113.7"
    # The client may send any X-Forwarded-For of its own: only the proxy's entry counts.
    assert address("1.2.3.4, 203.0.113.7") == "203.0.113.7"
    assert address("2001:db8::1") == "2001:db8::1"
    settings.TRUSTED_PROXY_COUNT = 2
    assert address("1.2.3.4, 203.0.113.7, 198.51.100.2") == "203.0.113.7"
    assert address("1.2.3.4,203.0.113.7 , 198.51.100.2") == "203.0.113.7"


def test_a_request_that_did_not_come_through_the_proxies_is_its_connection(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert address() == PROXY
    assert address("") == PROXY
    assert address("203.0.113.7") == PROXY
    settings.TRUSTED_PROXY_COUNT = 1
    assert address("1.2.3.4, not-an-address") == PROXY


def test_sign_in_lockouts_count_each_client_behind_the_proxy_apart(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "cadre", "password": "wrong"}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    locked = client.post(reverse("login"), {"username": "cadre", "password": f.PASSWORD}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert locked.status_code == 429
    # The same account from another phone behind the same proxy signs in.
    other = client.post(reverse("login"), {"username": "cadre", "password": f.PASSWORD}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 302


@pytest.mark.parametrize("value", ["-1", "one"])
def test_a_bad_value_stops_the_settings_from_loading(value):
    env = os.environ | {"TRUSTED_PROXY_COUNT": value}
    loaded = subprocess.run([sys.executable, "-c", "import config.settings.base"], env=env, capture_output=True, text=True)
    assert loaded.returncode != 0
    assert "TRUSTED_PROXY_COUNT" in loaded.stderr or "invalid literal for int()" in loaded.stderr
