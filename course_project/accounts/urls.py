from django.urls import include, path

from . import views

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="signup"),
    # login/, logout/ (POST), password_change/, ... with templates in templates/registration/.
    path("", include("django.contrib.auth.urls")),
]
