from django.urls import include, path

from . import views

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("token/", views.websocket_token, name="websocket_token"),
    # login/, logout/ (POST), password_change/, ... with templates in templates/registration/.
    path("", include("django.contrib.auth.urls")),
]
