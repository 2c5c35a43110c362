"""A developer's machine and the one-command demo."""

from .base import *  # noqa: F403
from .base import DATA_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# The embedded broker's folders (see CELERY_BROKER_TRANSPORT_OPTIONS).
for name in ("queue", "processed", "control"):
    (DATA_DIR / "broker" / name).mkdir(parents=True, exist_ok=True)
