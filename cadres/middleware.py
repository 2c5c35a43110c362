import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, resolve_url
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .access import access_for

_LAST_SEEN = "last_seen"
# Write the session at most once a minute just to move the idle clock.
_TOUCH_EVERY = 60


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
                messages.info(request, _("You were signed out after a period of inactivity."))
                return redirect(f"{resolve_url(settings.LOGIN_URL)}?next={request.path}")
            if now - last_seen >= _TOUCH_EVERY or _LAST_SEEN not in request.session:
                request.session[_LAST_SEEN] = now
        request.access = SimpleLazyObject(lambda: access_for(request.user))
        return self.get_response(request)
