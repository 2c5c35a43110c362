import ipaddress
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect, resolve_url
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .access import access_for

_LAST_SEEN = "last_seen"
# Write the session at most once a minute just to move the idle clock.
_TOUCH_EVERY = 60
# The JSON API (config/urls.py).
API_PREFIX = "/api/"


class IdleSessionExpiryMiddleware:
    """Signs a user out after SESSION_IDLE_TIMEOUT seconds without a request.

    Also attaches ``request.access``, the user's scope, computed on first use.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(_LAST_SEEN, now)
            if now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                # The API answers a signed-out caller 401 itself: a redirect to the sign-in page
                # would reach a script's fetch() as a 200 full of HTML.
                if not request.path.startswith(API_PREFIX):
                    messages.info(request, _("You were signed out after a period of inactivity."))
                    return redirect(f"{resolve_url(settings.LOGIN_URL)}?next={request.path}")
            elif now - last_seen >= _TOUCH_EVERY or _LAST_SEEN not in request.session:
                request.session[_LAST_SEEN] = now
        request.access = SimpleLazyObject(lambda: access_for(request.user))
        return self.get_response(request)


class ChosenLanguageMiddleware(LocaleMiddleware):
    """The language the user chose with the switch, else the default (Simplified Chinese).

    The browser's Accept-Language is ignored on purpose: shared office machines and phones often
    ship with an English locale, and the product speaks Chinese unless asked otherwise.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def client_address(request) -> str:
    """The client's IP address, for per-address limits (sign-in lockouts, resident codes).

    Directly (TRUSTED_PROXY_COUNT = 0) it is REMOTE_ADDR. Behind N proxies that each append the
    address they were reached from to X-Forwarded-For, it is the N-th entry from the right: the
    one the outermost trusted proxy wrote. Entries further left are the client's own to write and
    never trusted; a request with fewer entries did not come through the proxies.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if not count:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote
