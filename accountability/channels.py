"""Where a message goes: one small adapter per channel, each raising ``DeliveryError`` on failure.

A message reaches the in-app inbox, email for recipients with an address, and the group robot of
the item's region when one is configured. Adapters know nothing about escalations or digests.
"""

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail

from cadres.models import Notification

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    pass


@dataclass(frozen=True)
class Message:
    key: str  # what caused it; a repeated delivery of the same key adds nothing to an inbox
    title: str
    body: str
    url: str  # a path inside the app


def inbox_deliver(message: Message, *, user_ids) -> None:
    """In-app notifications; idempotent by (recipient, key)."""
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=user_id, title=message.title[:200], body=message.body, url=message.url, key=message.key
            )
            for user_id in sorted(set(user_ids))
        ],
        ignore_conflicts=True,
    )


def email_deliver(message: Message, *, addresses) -> None:
    addresses = sorted({a for a in addresses if a})
    if not addresses:
        return
    link = f"{settings.SITE_URL.rstrip('/')}{message.url}" if settings.SITE_URL else message.url
    try:
        send_mail(message.title, f"{message.body}\n\n{link}", None, addresses, fail_silently=False)
    except Exception as error:  # noqa: BLE001 - any transport failure is retried later
        raise DeliveryError(f"email: {error}") from error


def robot_deliver(message: Message, *, url: str) -> None:
    """A WeCom / DingTalk style group robot: JSON POST of a text message; errcode 0 is success."""
    if not url.startswith(("http://", "https://")):
        raise DeliveryError("robot: only http and https addresses are called")
    link = f"{settings.SITE_URL.rstrip('/')}{message.url}" if settings.SITE_URL else message.url
    payload = {"msgtype": "text", "text": {"content": f"{message.title}\n{message.body}\n{link}"}}
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.ROBOT_WEBHOOK_TIMEOUT) as response:  # noqa: S310 - admin-set URL
            answer = json.loads(response.read() or b"{}")
    except (OSError, ValueError) as error:
        raise DeliveryError(f"robot: {error}") from error
    if answer.get("errcode", 0) != 0:
        raise DeliveryError(f"robot: errcode {answer.get('errcode')} {answer.get('errmsg', '')}".strip())
