"""Pages refuse a session that still owes a sign-in step, and send the person to that step."""

from django.http import HttpResponse
from django.shortcuts import redirect

from duban.security.policy import session_refusal
from duban.security.views import step_url

# The API answers in JSON itself (duban.api.auth); the steps' own pages must stay reachable.
EXEMPT_PREFIXES = ("/api/", "/static/", "/healthz", "/login/", "/logout/", "/account/password/", "/account/otp/")

# For every response: no framing, no plugins, no foreign <base>, forms post only to duban itself.
CONTENT_SECURITY_POLICY = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'"

# duban's own pages load nothing from any other host (offices run on intranets) and run no inline
# script; htmx and ECharts set element styles at run time. The admin keeps the general policy.
PAGE_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
    "connect-src 'self'", "font-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'",
    "form-action 'self'",
])


class SignInPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._refuse(request)
        if response is None:
            response = self.get_response(request)
        page = (not request.path.startswith("/admin/")
                and response.get("Content-Type", "").startswith("text/html"))
        response.setdefault("Content-Security-Policy", PAGE_POLICY if page else CONTENT_SECURITY_POLICY)
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
