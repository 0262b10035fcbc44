from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .models import Notification
from .push import notify, push_unread_count


def done(request, **data):
    """Answer fetch() calls with JSON and plain form posts with a redirect to the list."""
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(data)
    return redirect("notifications:list")


@login_required
def notification_list(request):
    notifications = request.user.notifications.all()[:50]
    return render(request, "notifications/list.html", {"notifications": notifications})


@require_POST
@login_required
def mark_read(request, pk):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if not notification.read:
        notification.read = True
        notification.save(update_fields=["read"])
        push_unread_count(request.user)
    return done(request, id=notification.pk)


@require_POST
@login_required
def mark_all_read(request):
    updated = request.user.notifications.unread().update(read=True)
    if updated:
        push_unread_count(request.user)
    return done(request, updated=updated)


@require_POST
@login_required
def send_test(request):
    """An ordinary Django view pushing to a WebSocket: store, then send through the layer."""
    notification = notify(
        request.user,
        "This is a test notification, sent by a Django view through the channel layer.",
        link=reverse("notifications:list"),
    )
    # Stored either way; if the push did not reach the layer, the page gets it when it reconnects.
    return done(request, id=notification.pk, pushed=notification.pushed)
