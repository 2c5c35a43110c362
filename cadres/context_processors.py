from .models import Notification


def roles(request):
    """The viewer's access (roles, for the navigation) and unread inbox count."""
    access = getattr(request, "access", None)
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = Notification.objects.filter(recipient=user).unread().count()
    return {"access": access, "unread_notifications": unread}
