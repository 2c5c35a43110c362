"""Container health check: GET /healthz/ from inside the web container, exit 0 when it says "ok".

Sends a host the site accepts (the first of DJANGO_ALLOWED_HOSTS) and X-Forwarded-Proto, as the
TLS-terminating proxy would, so production's HTTPS redirect does not answer instead of the app.
"""

import os
import sys
import urllib.request

host = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".")
if host in ("", "*"):
    host = "localhost"
request = urllib.request.Request(
    f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz/",
    headers={"Host": host, "X-Forwarded-Proto": "https"},
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read().strip()
except OSError as error:
    sys.exit(f"unhealthy: {error}")
sys.exit(0 if body == b"ok" else f"unhealthy: {body[:200]!r}")
