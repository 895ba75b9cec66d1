"""Sign-in that a level-3 assessment (等保2.0 三级) accepts: lockout, password policy, idle timeout,
the second factor, no default account, security events, production settings."""

import datetime as dt
import io
import os
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from duban.audit.chain import chain_verify
from duban.audit.models import Event
from duban.core.cast import PASSWORD
from duban.org.models import Role, User
from duban.security.client_ip import client_ip
from duban.security.policy import session_refusal
from duban.security.testing import force_login_verified

ROOT = Path(__file__).resolve().parent.parent
DUBAN = str(ROOT / ".venv" / "bin" / "duban")
LOCKED = 429


def sign_in(client, user, password=PASSWORD, **extra):
    return client.post("/login/", {"username": user.username, "password": password}, **extra)


def events(verb):
    return list(Event.objects.filter(verb=verb).order_by("seq"))


def code_for(device, *, step_offset=0):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + step_offset):06d}"


def fresh(user):
    return User.objects.get(pk=user.pk)


# ---- the real client address ------------------------------------------------------------------


def request_from(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_it_takes_the_peer_address_when_no_proxy_is_trusted(settings):
    settings.DUBAN_TRUSTED_PROXIES = []
    assert client_ip(request_from("198.51.100.7", "1.2.3.4")) == "198.51.100.7"


def test_it_reads_x_forwarded_for_from_the_right_behind_trusted_proxies(settings):
    settings.DUBAN_TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]
    # The client forged "1.2.3.4"; the outer proxy 192.0.2.1 and the inner 10.0.0.5 appended what they saw.
    assert client_ip(request_from("10.0.0.5", "1.2.3.4, 203.0.113.9, 192.0.2.1")) == "203.0.113.9"
    assert client_ip(request_from("10.0.0.5", "203.0.113.9")) == "203.0.113.9"
    assert client_ip(request_from("10.0.0.5")) == "10.0.0.5"  # the proxy's own probe
    assert client_ip(request_from("10.0.0.5", "junk, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(request_from("10.0.0.5", "203.0.113.9, junk")) == "10.0.0.5"
    assert client_ip(request_from("198.51.100.7", "203.0.113.9")) == "198.51.100.7"  # not via our proxy
    assert client_ip(request_from("::ffff:198.51.100.7")) == "198.51.100.7"


# ---- lockout ------------------------------------------------------------------------------------


def test_it_locks_one_account_after_five_failures_whatever_x_forwarded_for_says(client, cast, settings):
    settings.DUBAN_TRUSTED_PROXIES = []
    forged = [f"203.0.113.{n}" for n in range(1, 51)]
    statuses = []
    for attempt in range(1000):
        response = sign_in(client, cast.supervisor, "Wrong-Pass-1", HTTP_X_FORWARDED_FOR=forged[attempt % 50])
        statuses.append(response.status_code)
    assert statuses[:4] == [200] * 4
    assert set(statuses[4:]) == {LOCKED}
    assert "请 15 分钟后再试" in response.content.decode()
    assert response["Retry-After"] == "900"

    # The right password is refused too, from the real address and from any forged one.
    assert sign_in(client, cast.supervisor).status_code == LOCKED
    assert sign_in(client, cast.supervisor, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == LOCKED
    assert "_auth_user_id" not in client.session

    # A colleague signs in from the same address, and from a forged one.
    assert sign_in(client, cast.leader).status_code == 302
    client.logout()
    assert sign_in(client, cast.leader, HTTP_X_FORWARDED_FOR=forged[0]).status_code == 302

    lockouts = events("security.lockout")
    assert len(lockouts) == 1
    assert lockouts[0].actor_id is None
    assert lockouts[0].payload["username"] == cast.supervisor.username
    assert lockouts[0].payload["ip"] == "127.0.0.1"
    failed = events("security.login_failed")
    assert len(failed) == 1002
    assert {e.payload["ip"] for e in failed} == {"127.0.0.1"}
    assert [e.payload["outcome"] for e in failed[:5]] == ["failed"] * 5
    assert {e.payload["outcome"] for e in failed[5:]} == {"locked_out"}
    assert chain_verify().ok


def test_it_keys_two_clients_behind_a_trusted_proxy_separately(client, cast, settings):
    settings.DUBAN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(5):
        sign_in(client, cast.supervisor, "Wrong-Pass-1", HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    # Forging an extra left-hand entry does not make the locked client someone else.
    assert sign_in(client, cast.supervisor, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1",
                   **proxy).status_code == LOCKED
    response = sign_in(client, cast.supervisor, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy)
    assert (response.status_code, response["Location"]) == (302, "/")
    assert events("security.lockout")[0].payload["ip"] == "198.51.100.1"
    assert events("security.login")[-1].payload["ip"] == "198.51.100.2"


def test_it_lets_a_locked_account_in_again_after_fifteen_minutes(client, cast, frozen):
    for _ in range(5):
        sign_in(client, cast.supervisor, "Wrong-Pass-1")
    frozen.shift(dt.timedelta(minutes=14))
    assert sign_in(client, cast.supervisor).status_code == LOCKED
    frozen.shift(dt.timedelta(minutes=1, seconds=1))
    assert sign_in(client, cast.supervisor).status_code == 302


# ---- password policy ----------------------------------------------------------------------------


@pytest.mark.parametrize("password, message", [
    ("Ab1!xyz", "密码太短，至少需要 8 个字符。"),
    ("abcdefgh12", "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。"),
    ("Zhou.Duchaban-1", "密码不能是登录名，也不能包含登录名。"),
    ("P@ssw0rd", "密码过于常见，容易被猜中，请换一个。"),
    ("1qaz@WSX", "密码过于常见，容易被猜中，请换一个。"),
    ("2026031512", "密码不能全是数字。"),
])
def test_it_refuses_a_weak_password_in_chinese(cast, password, message):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, cast.supervisor)
    assert message in refused.value.messages


@pytest.mark.parametrize("password", ["Duban-Demo-2026", "Duban-Test-2026", "督办Ab12345"])
def test_it_accepts_the_demo_and_test_passwords(cast, password):
    for user in (cast.supervisor, cast.sysadmin, cast.county_drc_liaison):
        validate_password(password, user)


def test_it_refuses_a_weak_new_password_on_the_change_page(client, cast):
    sign_in(client, cast.supervisor)
    response = client.post("/account/password/", {"old_password": PASSWORD, "new_password1": "abcdefgh",
                                                  "new_password2": "abcdefgh"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。" in page
    assert "密码过于常见" in page
    response = client.post("/account/password/", {"old_password": "Not-My-Pass-1", "new_password1": "Neu-Pass-2027",
                                                  "new_password2": "Neu-Pass-2027"})
    assert "当前密码不正确。" in response.content.decode()
    response = client.post("/account/password/", {"old_password": PASSWORD, "new_password1": PASSWORD,
                                                  "new_password2": PASSWORD})
    assert "新密码不能与当前密码相同。" in response.content.decode()
    assert fresh(cast.supervisor).check_password(PASSWORD)


def test_it_forces_an_expired_password_to_be_changed_before_anything_else(client, cast, frozen, settings):
    settings.DUBAN_PASSWORD_MAX_AGE_DAYS = 90
    User.objects.filter(pk=cast.supervisor.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    response = sign_in(client, cast.supervisor)
    assert response["Location"] == "/account/password/"
    response = client.get("/?light=red")
    assert response["Location"] == "/account/password/?next=%2F%3Flight%3Dred"
    page = client.get(response["Location"]).content.decode()
    assert "您的密码已超过 90 天未修改" in page
    assert client.get("/api/v1/openapi.json").status_code != 302  # the API answers for itself

    response = client.post("/account/password/?next=%2F%3Flight%3Dred", {
        "old_password": PASSWORD, "new_password1": "Neu-Pass-2026", "new_password2": "Neu-Pass-2026",
        "next": "/?light=red"})
    assert response["Location"] == "/?light=red"
    assert client.get("/").status_code == 200  # still signed in: the session follows the new password
    user = fresh(cast.supervisor)
    assert user.check_password("Neu-Pass-2026")
    assert user.password_changed_at == timezone.now()
    change = events("security.password_change")[-1]
    assert (change.actor_id, change.payload["outcome"], change.payload["ip"]) == (user.pk, "success", "127.0.0.1")


def test_it_never_expires_passwords_when_the_age_is_zero(client, cast, settings):
    settings.DUBAN_PASSWORD_MAX_AGE_DAYS = 0
    User.objects.filter(pk=cast.supervisor.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=900))
    sign_in(client, cast.supervisor)
    assert client.get("/").status_code == 200


def test_it_does_not_send_people_made_by_the_services_to_the_change_page(client, cast):
    assert not fresh(cast.county_drc_liaison).must_change_password
    assert sign_in(client, cast.county_drc_liaison)["Location"] == "/"
    assert client.get("/").status_code == 200


def test_it_makes_a_password_set_by_an_administrator_temporary(client, cast):
    # duban.org.services sets the flag when a sysadmin sets or resets someone's password.
    User.objects.filter(pk=cast.county_liaison.pk).update(must_change_password=True)
    assert sign_in(client, cast.county_liaison)["Location"] == "/account/password/"
    assert client.get("/")["Location"] == "/account/password/?next=%2F"
    assert "您的密码由管理员设置" in client.get("/account/password/").content.decode()
    client.post("/account/password/", {"old_password": PASSWORD, "new_password1": "Mine-Pass-2026",
                                       "new_password2": "Mine-Pass-2026"})
    assert not fresh(cast.county_liaison).must_change_password
    assert client.get("/").status_code == 200


# ---- sessions -----------------------------------------------------------------------------------


def test_it_ends_a_session_after_thirty_idle_minutes(client, cast, frozen):
    sign_in(client, cast.supervisor)
    for _ in range(3):  # every request moves the expiry on
        frozen.shift(dt.timedelta(minutes=29))
        assert client.get("/").status_code == 200
    frozen.shift(dt.timedelta(minutes=31))
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/login/")


def test_it_kills_the_session_on_logout(client, cast):
    sign_in(client, cast.supervisor)
    stolen = client.cookies["sessionid"].value
    assert client.get("/logout/").status_code == 405  # a link cannot log someone out
    response = client.post("/logout/")
    assert (response.status_code, response["Location"]) == (302, "/login/")
    client.cookies["sessionid"] = stolen
    assert client.get("/")["Location"] == "/login/"
    logout = events("security.logout")[-1]
    assert (logout.actor_id, logout.payload["outcome"]) == (cast.supervisor.pk, "success")


# ---- the second factor --------------------------------------------------------------------------


def test_it_makes_an_administrator_enrol_a_second_factor_before_any_page(client, cast, frozen):
    response = sign_in(client, cast.sysadmin)
    assert response["Location"] == "/account/otp/enrol/"
    for path in ("/", "/admin/", "/admin/org/user/", "/account/", "/files/evidence/1/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/account/otp/enrol/"), path

    page = client.get("/account/otp/enrol/").content.decode()
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "href" not in svg and "<img" not in page  # drawn inline: no request leaves the intranet
    device = TOTPDevice.objects.get(user=cast.sysadmin, confirmed=False)
    secret = "".join(page.split('class="secret">', 1)[1].split("<", 1)[0].split())
    assert f"secret={secret}" in device.config_url
    assert secret in client.get("/account/otp/enrol/").content.decode().replace(" ", "")  # same secret on reload

    response = client.post("/account/otp/enrol/", {"code": code_for(device, step_offset=5)})
    assert response.status_code == 200
    assert "动态口令不正确" in response.content.decode()
    failed = events("security.otp_failed")[-1]
    assert (failed.actor_id, failed.payload["outcome"], failed.payload["ip"]) == (cast.sysadmin.pk, "failed",
                                                                                  "127.0.0.1")
    assert client.get("/").status_code == 302

    frozen.shift(dt.timedelta(seconds=2))  # django-otp throttles the next try after a failure
    response = client.post("/account/otp/enrol/", {"code": code_for(device)})
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert events("security.otp_enrol")[-1].actor_id == cast.sysadmin.pk

    # Next sign-in: the code is asked for, not a new enrolment.
    client.post("/logout/")
    frozen.shift(dt.timedelta(seconds=60))
    assert sign_in(client, cast.sysadmin)["Location"] == "/account/otp/verify/"
    assert client.get("/admin/")["Location"].startswith("/account/otp/verify/")
    assert client.get("/account/otp/enrol/")["Location"].startswith("/account/otp/verify/")
    response = client.post("/account/otp/verify/", {"code": code_for(device, step_offset=9)})
    assert "动态口令不正确" in response.content.decode()
    frozen.shift(dt.timedelta(seconds=2))
    response = client.post("/account/otp/verify/", {"code": code_for(device), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert len(events("security.otp_failed")) == 2
    assert events("security.otp_verified")[-1].actor_id == cast.sysadmin.pk


@pytest.mark.parametrize("role", [Role.SECADMIN, Role.AUDITOR])
def test_it_holds_every_admin_role_at_enrolment(client, cast, role):
    from duban.org.services import person_create

    admin = person_create(actor=None, username=f"admin.{role}", full_name="管理员", unit=None, roles=[role],
                          password=PASSWORD)
    assert sign_in(client, admin)["Location"] == "/account/otp/enrol/"
    assert client.get("/")["Location"] == "/account/otp/enrol/?next=%2F"
    fragment = client.get("/?light=red", HTTP_HX_REQUEST="true")  # htmx: the whole page goes, not a fragment
    assert (fragment.status_code, fragment["HX-Redirect"]) == (200, "/account/otp/enrol/?next=%2F%3Flight%3Dred")


def test_it_lets_anyone_enrol_from_the_account_page_and_then_asks_for_the_code(client, cast, frozen):
    sign_in(client, cast.supervisor)
    page = client.get("/account/").content.decode()
    assert "动态口令" in page and "未启用" in page
    client.get("/account/otp/enrol/")
    device = TOTPDevice.objects.get(user=cast.supervisor)
    assert client.post("/account/otp/enrol/", {"code": code_for(device)})["Location"] == "/"
    assert "已启用" in client.get("/account/").content.decode()
    client.post("/logout/")
    frozen.shift(dt.timedelta(seconds=60))
    assert sign_in(client, cast.supervisor)["Location"] == "/account/otp/verify/"
    assert client.get("/")["Location"] == "/account/otp/verify/?next=%2F"


def test_it_counts_wrong_codes_towards_the_lockout(client, cast, frozen):
    device = TOTPDevice.objects.create(user=cast.sysadmin, name="手机", confirmed=True)
    sign_in(client, cast.sysadmin)
    statuses = []
    for _ in range(5):
        frozen.shift(dt.timedelta(seconds=40))  # past django-otp's own throttle
        statuses.append(client.post("/account/otp/verify/", {"code": code_for(device, step_offset=9)}).status_code)
    assert statuses == [200, 200, 200, 200, LOCKED]
    assert "_auth_user_id" not in client.session  # the half-signed-in session is gone
    assert sign_in(client, cast.sysadmin).status_code == LOCKED
    assert len(events("security.lockout")) == 1
    assert events("security.logout")[-1].payload["reason"] == "locked_out"
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 5  # django-otp's own throttle too


def test_it_does_not_let_the_password_alone_clear_failed_codes(client, cast, frozen):
    device = TOTPDevice.objects.create(user=cast.sysadmin, name="手机", confirmed=True)
    sign_in(client, cast.sysadmin)
    for _ in range(4):
        frozen.shift(dt.timedelta(seconds=40))
        assert client.post("/account/otp/verify/", {"code": code_for(device, step_offset=9)}).status_code == 200
    client.post("/logout/")
    assert sign_in(client, cast.sysadmin).status_code == 302  # the password is right: four failures so far
    frozen.shift(dt.timedelta(seconds=40))
    assert client.post("/account/otp/verify/", {"code": code_for(device, step_offset=9)}).status_code == LOCKED


def test_it_clears_the_count_when_a_sign_in_succeeds(client, cast):
    for _ in range(4):
        sign_in(client, cast.supervisor, "Wrong-Pass-1")
    assert sign_in(client, cast.supervisor).status_code == 302
    client.post("/logout/")
    for _ in range(4):
        assert sign_in(client, cast.supervisor, "Wrong-Pass-1").status_code == 200


def test_it_tells_the_api_why_a_session_may_not_be_used(cast):
    request = RequestFactory().get("/api/v1/tasks")
    request.user = cast.sysadmin
    assert session_refusal(request) == "otp_required"
    request.user = cast.supervisor
    assert session_refusal(request) is None
    User.objects.filter(pk=cast.supervisor.pk).update(must_change_password=True)
    request.user = fresh(cast.supervisor)
    assert session_refusal(request) == "password_change_required"
    User.objects.filter(pk=cast.supervisor.pk).update(must_change_password=False,
                                                     password_changed_at=timezone.now() - dt.timedelta(days=400))
    request.user = fresh(cast.supervisor)
    assert session_refusal(request) == "password_expired"


def test_it_offers_tests_a_fully_signed_in_administrator(client, cast):
    force_login_verified(client, cast.sysadmin)
    assert client.get("/").status_code == 200


# ---- no default account; the administrators' command ------------------------------------------


def test_it_starts_with_no_account_at_all(db):
    assert User.objects.count() == 0


def test_it_creates_no_account_when_migrating_an_empty_database(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    env.pop("DUBAN_HTTPS", None)
    subprocess.run([DUBAN, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=120)
    out = subprocess.run([DUBAN, "shell", "-v", "0", "-c", "from duban.org.models import User; print(User.objects.count())"],
                         env=env, check=True, capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == "0"


def test_it_creates_the_first_administrator_from_the_command_line(db):
    out = io.StringIO()
    call_command("admin-create", "--username", "xitong", "--role", "sysadmin", "--full-name", "沈管理",
                 "--password-stdin", stdin=io.StringIO("Admin-Pass-2026\n"), stdout=out)
    user = User.objects.get(username="xitong")
    assert user.roles == {Role.SYSADMIN}
    assert user.check_password("Admin-Pass-2026")
    assert not user.is_superuser and not user.must_change_password
    assert "动态口令" in out.getvalue()
    assert events("user.create")[-1].actor_id is None


def test_it_refuses_a_weak_password_for_an_administrator(db):
    with pytest.raises(CommandError) as refused:
        call_command("admin-create", "--username", "anquan", "--role", "secadmin", "--password-stdin",
                     stdin=io.StringIO("anquan2026\n"))
    assert "密码不符合要求" in str(refused.value)
    assert "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。" in str(refused.value)
    assert "密码不能是登录名" in str(refused.value)
    assert not User.objects.exists()


def test_it_refuses_to_create_a_superuser(db):
    with pytest.raises(CommandError) as refused:
        call_command("createsuperuser", "--username", "root", "--noinput")
    assert "三员分立" in str(refused.value) and "admin-create" in str(refused.value)
    assert not User.objects.exists()


# ---- security events ----------------------------------------------------------------------------


def test_it_writes_sign_in_events_with_address_and_outcome(client, cast):
    sign_in(client, cast.supervisor, "Wrong-Pass-1", HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 500)
    failed = events("security.login_failed")[-1]
    assert failed.actor_id is None
    assert failed.object_type == "security"
    assert failed.payload["username"] == cast.supervisor.username
    assert (failed.payload["ip"], failed.payload["outcome"]) == ("127.0.0.1", "failed")
    assert len(failed.payload["user_agent"]) == 200
    assert "Wrong-Pass-1" not in str(failed.payload)

    sign_in(client, cast.supervisor)
    login = events("security.login")[-1]
    assert (login.actor_id, login.payload["ip"], login.payload["outcome"]) == (cast.supervisor.pk, "127.0.0.1",
                                                                                "success")
    assert login.created_at is not None
    assert chain_verify().ok


# ---- production settings ------------------------------------------------------------------------


def production_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update({
        "DUBAN_SECRET_KEY": "k7#QpX2v9LrT4wZ8mN1bC6yH3jD5fG0sA-uE_iO" + "RkVxPq8Zt2Lm",
        "DUBAN_HTTPS": "1",
        "DUBAN_ALLOWED_HOSTS": "duban.example.gov.cn",
        **extra,
    })
    return env


def test_it_passes_the_deployment_checks_in_production():
    result = subprocess.run([DUBAN, "check", "--deploy", "--fail-level", "WARNING"], env=production_env(),
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_in_production_without_a_secret_key():
    env = production_env()
    del env["DUBAN_SECRET_KEY"]
    result = subprocess.run([DUBAN, "check"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode != 0
    assert "DUBAN_SECRET_KEY" in result.stderr
