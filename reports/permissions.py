"""Who may read the reports app's pages: anyone with a scope to read (supervisors, discipline
inspectors) and administrators. Anyone else is told why (403), never shown an empty page."""

from functools import wraps

from django.shortcuts import render

from households.access import Access


def is_reader(access: Access) -> bool:
    return access.is_inspector or access.is_supervisor or access.is_admin


def forbidden(request, reason: str):
    return render(request, "reports/forbidden.html", {"reason": reason}, status=403)


def readers_only(reason: str):
    """Decorator: the view answers 403 with ``reason`` (a lazy translation) to a non-reader."""

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not is_reader(request.access):
                return forbidden(request, reason)
            return view(request, *args, **kwargs)

        return checked

    return decorator
