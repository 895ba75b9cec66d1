"""Pages refuse a session that still owes a sign-in step, and send the person to that step."""

from django.http import HttpResponse
from django.shortcuts import redirect

from duban.security.policy import session_refusal
from duban.security.views import step_url

# The API answers in JSON itself (duban.api.auth); the steps' own pages must stay reachable.
EXEMPT_PREFIXES = ("/api/", "/static/", "/healthz", "/login/", "/logout/", "/account/password/", "/account/otp/")

# Cheap, safe for every page (no inline scripts or styles are restricted): no framing, no plugins,
# no foreign <base>, forms post only to duban itself.
CONTENT_SECURITY_POLICY = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'"


class SignInPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._refuse(request)
        if response is None:
            response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    def _refuse(self, request):
        if request.path.startswith(EXEMPT_PREFIXES):
            return None
        reason = session_refusal(request)
        if reason is None:
            return None
        url = step_url(request, reason, request.get_full_path() if request.method == "GET" else "")
        if request.headers.get("HX-Request"):
            # A 302 would be followed inside the XHR and the step's page swapped into a fragment.
            return HttpResponse(headers={"HX-Redirect": url})
        return redirect(url)
