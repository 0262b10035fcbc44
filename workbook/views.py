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
    from django.urls import set_script_prefix

    # Django resolves a request against `request.urlconf` when it is set: a module, as usual,
    # made here rather than imported (resolvers are cached per urlconf, so one per app).
    urlconf = ModuleType("workbook_views_urls")
    urlconf.urlpatterns = list(urlpatterns)

    class ViewsHandler(ASGIHandler):
        def create_request(self, scope, body_file):
            request, error_response = super().create_request(scope, body_file)
            if request is not None:
                request.urlconf = urlconf
                # The app's script name is its mount point (scope["root_path"]), as Django takes
                # it, unless FORCE_SCRIPT_NAME names the site's prefix behind a proxy: that is
                # the project's, and the mount point is under it.
                mount = scope.get("root_path", "")
                request.path_info = scope["path"].removeprefix(mount) or "/"
                request.META.update(SCRIPT_NAME=mount, PATH_INFO=request.path_info)
                set_script_prefix(mount + "/")  # for reverse() in the views
            return request, error_response

    return ViewsHandler()
