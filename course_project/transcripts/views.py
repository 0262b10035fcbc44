from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from chat.models import Message
from mysite.limits import RateLimit, client_address, limit_keys

from .models import Transcript
from .workers import TRANSCRIPT_CHANNEL, export_request

NO_WORKER = (
    "Transcripts are written by a worker process, and this server uses the in-memory channel "
    "layer, which no other process can reach, so nothing would ever write it. Start Redis, "
    "then run the server and a worker with REDIS_URL set to it: "
    f"REDIS_URL=redis://127.0.0.1:6379/0 python manage.py runworker {TRANSCRIPT_CHANNEL}"
)
QUEUED = (
    "Queued: a worker writes the transcript, and a notification with the download link "
    "follows. If none comes within a minute, no worker is running; try again later."
)
CHANNEL_FULL = "Too many transcript requests are waiting for the worker; try again in a minute."
TOO_MANY = "You have asked for many transcripts lately; try again in {minutes} minutes."


def exports_per_hour():
    """Each export copies a whole room: a few an hour per user, more per address (a class)."""
    return RateLimit(
        "transcript-exports",
        60 * 60,
        per_user=settings.TRANSCRIPT_EXPORTS_PER_HOUR,
        per_address=settings.TRANSCRIPT_EXPORTS_PER_HOUR_PER_ADDRESS,
    )


def answer(request, http_status, **data):
    """JSON for fetch() calls, plain text for a form posted without JavaScript."""
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(data, status=http_status)
    text = data.get("error") or data.get("message")
    return HttpResponse(text, status=http_status, content_type="text/plain; charset=utf-8")


@require_POST
@login_required
def export(request, room_name):
    """Ask the transcript worker for a transcript of the room; the answer only says "queued"."""
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return answer(request, 503, error=NO_WORKER)
    if not Message.objects.in_room(room_name).exists():
        return answer(request, 404, error=f"#{room_name} has no messages to export yet.")
    limit = exports_per_hour()
    if not limit.hit(limit_keys(request.user, client_address(request))):
        wait = limit.retry_after()
        response = answer(request, 429, error=TOO_MANY.format(minutes=wait // 60 + 1))
        response["Retry-After"] = str(wait)
        return response
    try:
        async_to_sync(layer.send)(TRANSCRIPT_CHANNEL, export_request(room_name, request.user.pk))
    except ChannelFull:
        return answer(request, 503, error=CHANNEL_FULL)
    return answer(request, 202, status="queued", message=QUEUED)


@login_required
def download(request, pk):
    """The transcript as a text file; only its owner gets it (anyone else: 404, not 403)."""
    transcript = get_object_or_404(Transcript, pk=pk, user=request.user)
    response = HttpResponse(transcript.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, transcript.filename)
    return response
