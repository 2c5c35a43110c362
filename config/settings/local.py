"""A developer's machine and the one-command demo."""

from .base import *  # noqa: F403
from .base import DATA_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

for folder in (DATA_DIR, DATA_DIR / "broker" / "queue", DATA_DIR / "broker" / "processed"):
    folder.mkdir(parents=True, exist_ok=True)
