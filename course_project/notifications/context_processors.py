from .models import Notification


def unread_notifications(request):
    """The badge's first number, before the notification socket takes over."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # A callable: the query runs only when a template shows the badge.
    return {"unread_notifications": lambda: Notification.objects.filter(user=user).unread().count()}
