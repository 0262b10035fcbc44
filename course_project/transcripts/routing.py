from . import workers

#: Named channels and the consumers a `manage.py runworker` process serves them with.
channel_routes = {
    workers.TRANSCRIPT_CHANNEL: workers.TranscriptWorker.as_asgi(),
}
