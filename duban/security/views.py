"""The sign-in pages: login, logout, the second factor, password change, the account page, lockout."""

import base64
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UsernameField
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device

from duban.core.errors import DomainError
from duban.security import lockout
from duban.security.forms import LoginForm, OtpCodeForm, PasswordChangeForm
from duban.security.passwords import password_expires_at
from duban.security.policy import (
    OTP_REQUIRED,
    PASSWORD_CHANGE_REQUIRED,
    PASSWORD_EXPIRED,
    otp_mandatory,
    otp_needed,
    session_refusal,
)
from duban.security.services import otp_device_confirm, otp_device_match, otp_device_pending


def step_url(request, reason: str, next_url: str = "") -> str:
    """The page that settles `reason`, carrying where the person was going."""
    if reason == OTP_REQUIRED:
        user = request.user
        name = "otp_verify" if user_has_device(user, confirmed=True) else "otp_enrol"
    else:
        name = "password_change"
    url = reverse(name)
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return url


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return ""


class LoginView(auth_views.LoginView):
    template_name = "login.html"
    authentication_form = LoginForm

    def post(self, request, *args, **kwargs):
        username = UsernameField(max_length=150).to_python(request.POST.get("username"))
        if lockout.login_refused(request, username):
            return locked_out(request)
        return super().post(request, *args, **kwargs)

    def get_success_url(self):
        target = super().get_success_url()
        reason = session_refusal(self.request)
        if reason is not None:
            return step_url(self.request, reason, target if target != settings.LOGIN_REDIRECT_URL else "")
        return target


login_view = LoginView.as_view()
# POST only (Django's LogoutView): the session row is deleted, so a copied cookie opens nothing.
logout_view = auth_views.LogoutView.as_view()


def _finish_step(request):
    """After one step is settled, go to the next one owed, or where the person was going."""
    target = _next_url(request)
    reason = session_refusal(request)
    if reason is not None:
        return redirect(step_url(request, reason, target))
    return redirect(target or settings.LOGIN_REDIRECT_URL)


def _locked_out_now(request):
    request.duban_logout_reason = "locked_out"
    logout(request)
    return locked_out(request)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    user = request.user
    if not otp_needed(user):
        return _finish_step(request)
    if not user_has_device(user, confirmed=True):
        return redirect(step_url(request, OTP_REQUIRED, _next_url(request)))
    form = OtpCodeForm(request.POST or None)
    done = _code_step(request, user, form, otp_device_match, "动态口令不正确或已过期，请重新输入。")
    if done is not None:
        return done
    return render(request, "security/otp_verify.html", {"form": form, "next": _next_url(request)})


def _code_step(request, user, form, check, wrong: str):
    """One posted TOTP code: counted against the lockout, the session moved on when it is right.

    Returns the response that ends the step (signed in, or locked out), or None to show the form again.
    """
    if request.method != "POST":
        return None
    if not lockout.attempt_allowed(request, user):
        return _locked_out_now(request)
    device = check(request=request, user=user, token=form.cleaned_data["code"]) if form.is_valid() else None
    if device is not None:
        request.session.cycle_key()
        otp_login(request, device)
        lockout.sign_in_completed(request, user)
        return _finish_step(request)
    if lockout.second_factor_failed(request, user):
        return _locked_out_now(request)
    if form.is_valid():
        form.add_error("code", wrong)
    return None


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request):
    user = request.user
    if user_has_device(user, confirmed=True):
        # Adding a device needs the one already held; replacing a lost one is the 安全管理员's job.
        if otp_needed(user):
            return redirect(step_url(request, OTP_REQUIRED, _next_url(request)))
        return redirect("account")
    try:
        device = otp_device_pending(user=user)
    except DomainError:
        return redirect("account")
    form = OtpCodeForm(request.POST or None)
    done = _code_step(request, user, form, otp_device_confirm, "动态口令不正确，请确认手机时间准确后重新输入。")
    if done is not None:
        return done
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "security/otp_enrol.html", {
        "form": form,
        "next": _next_url(request),
        "mandatory": otp_mandatory(user),
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4, border=2),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "issuer": settings.OTP_TOTP_ISSUER,
    })


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    reason = session_refusal(request)
    if reason == OTP_REQUIRED:
        return redirect(step_url(request, reason, _next_url(request)))
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save(request=request)
        update_session_auth_hash(request, user)
        return _finish_step(request)
    return render(request, "security/password_change.html", {
        "form": form,
        "next": _next_url(request),
        "reason": {PASSWORD_EXPIRED: "expired", PASSWORD_CHANGE_REQUIRED: "required"}.get(reason, ""),
        "max_age_days": settings.DUBAN_PASSWORD_MAX_AGE_DAYS,
    })


@never_cache
@login_required
def account(request):
    user = request.user
    return render(request, "security/account.html", {
        "otp_enabled": user_has_device(user, confirmed=True),
        "otp_mandatory": otp_mandatory(user),
        "password_expires_at": password_expires_at(user),
    })


def locked_out(request, original_response=None, credentials=None):
    """django-axes's lockout response (AXES_LOCKOUT_CALLABLE), also used after a locked second factor."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(request, "security/locked_out.html", {"minutes": minutes},
                      status=settings.AXES_HTTP_RESPONSE_CODE)
    response["Retry-After"] = str(minutes * 60)
    return response
