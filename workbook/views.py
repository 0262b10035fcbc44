"""Django views written in a cell, served by the in-kernel server beside the project's own.

    from django.urls import path
    server.mount_http("ex08/", views_app([path("alerts/", alert_page)]))
    # http://127.0.0.1:PORT/ex08/alerts/ now runs alert_page

The views run through Django's own request handling with the project's settings and middleware
(sessions, CSRF, authentication), so a view written in a cell behaves as it would in urls.py.
Only the URL patterns differ: the given ones, matched against the path after the mount prefix.
"""

from types import ModuleType

__all__ = ["views_app"]


def views_app(urlpatterns):
    """An ASGI application serving `urlpatterns` (a list of path() entries), for mount_http()."""
    from django.core.handlers.asgi import ASGIHandler

    # Django resolves a request against `request.urlconf` when it is set: a module, as usual,
    # made here rather than imported (resolvers are cached per urlconf, so one per app).
    urlconf = ModuleType("workbook_views_urls")
    urlconf.urlpatterns = list(urlpatterns)

    class ViewsHandler(ASGIHandler):
        def create_request(self, scope, body_file):
            request, error_response = super().create_request(scope, body_file)
            if request is not None:
                request.urlconf = urlconf
            return request, error_response

    return ViewsHandler()
