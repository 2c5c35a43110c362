from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from .models import Notification

INBOX_PAGE_SIZE = 30


@require_GET
def healthz(request):
    """Liveness for the container health check: the app answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@login_required
@require_GET
def inbox(request):
    """My notifications, newest first; the unread ones stand out."""
    notifications = Notification.objects.visible_to(request.access).order_by("-created_at", "-pk")
    page = Paginator(notifications, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cadres/inbox.html", {"page": page})


@login_required
@require_POST
def notification_open(request, pk):
    """Mark one notification read and go to what it is about."""
    notification = Notification.objects.get_visible_or_404(request.access, pk=pk)
    notification.mark_read()
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("inbox")
    return redirect(target)


@login_required
@require_POST
def inbox_read_all(request):
    count = Notification.objects.visible_to(request.access).unread().update(read_at=timezone.now())
    if count:
        messages.success(request, ngettext("%(count)s notification marked read.", "%(count)s notifications marked read.", count) % {"count": count})
    return redirect("inbox")
