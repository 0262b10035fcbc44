from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST
from django.views.generic import CreateView

from .forms import SignupForm
from .tokens import MAX_AGE, make_token


class SignupView(CreateView):
    form_class = SignupForm
    template_name = "accounts/signup.html"
    success_url = reverse_lazy("chat:index")

    def form_valid(self, form):
        user = form.save()
        # Named, because django-axes adds a second backend; this one checked nothing here.
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(self.success_url)


@require_POST
@login_required
def websocket_token(request):
    """A signed token for scripts: send it as `Authorization: Bearer <token>` on the handshake.

    It stops working after MAX_AGE seconds, at logout from this session, or when the password
    changes (accounts/tokens.py)."""
    token = make_token(request.user, request.session.session_key)
    return JsonResponse({"token": token, "expires_in": MAX_AGE})
