"""Writes that concern accounts and sessions."""

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone


def sessions_clear_expired() -> int:
    """Delete sessions past their expiry; returns how many were removed."""
    engine = import_module(settings.SESSION_ENGINE)
    before = Session.objects.filter(expire_date__lt=timezone.now()).count()
    engine.SessionStore.clear_expired()
    return before
