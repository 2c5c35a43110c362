from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .selectors import cadre_responsibilities, scope_summaries


@login_required
def home(request):
    """Who you are and what you answer for; later pages fill each role's part in."""
    access = request.access
    return render(
        request,
        "cadres/home.html",
        {
            "responsibilities": cadre_responsibilities(access),
            "scopes": scope_summaries(access) if access.is_supervisor or access.is_inspector else [],
        },
    )


@require_GET
def healthz(request):
    """Liveness for the container health check: the app answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
