from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from mysite.health import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="chat:index"), name="home"),
    path("chat/", include("chat.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("transcripts.urls")),
    path("game/", include("game.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
