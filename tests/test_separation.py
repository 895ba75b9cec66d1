"""三员分立: the sysadmin keeps units and accounts, the secadmin grants roles, the auditor reads the trail.

Nobody is all-powerful, no administrator holds a business role, and none of
them finds business content in the back office.
"""

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessLog
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from duban.audit.models import Event
from duban.core.cast import PASSWORD
from duban.core.errors import DomainError, PermissionDenied
from duban.org.models import Role, RoleGrant, Unit, UnitLevel, User
from duban.org.services import (
    lockout_lift,
    otp_device_remove,
    person_activate,
    person_create,
    person_deactivate,
    person_password_reset,
    person_update,
    role_grant,
    role_revoke,
    unit_create,
    unit_update,
)
from duban.supervision import services as s

D = dt.date


def last_seq() -> int:
    return Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


class Trail:
    """Watches the trail across one call: exactly the new Events we expect, by verb."""

    def __init__(self):
        self.seq = last_seq()

    def new(self) -> list[Event]:
        events = list(Event.objects.filter(seq__gt=self.seq).order_by("seq"))
        if events:
            self.seq = events[-1].seq
        return events

    def one(self, verb: str) -> Event:
        events = self.new()
        assert [e.verb for e in events] == [verb]
        return events[0]

    def none(self) -> None:
        assert self.new() == []


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def admin_person(username: str, role: str, unit: Unit) -> User:
    return person_create(actor=None, username=username, full_name=username, unit=unit, roles=[role],
                         password=PASSWORD, check_password=False)


@pytest.fixture
def office(cast):
    """The cast, with the other two administrators of the prefecture."""
    cast.secadmin = admin_person("anquan.admin", Role.SECADMIN, cast.prefecture)
    cast.auditor = admin_person("shenji.admin", Role.AUDITOR, cast.prefecture)
    return cast


def newcomer(c, username="xin.ren") -> User:
    return person_create(actor=c.sysadmin, username=username, full_name="新同事", unit=c.pref_drc, roles=[],
                         password="Xin-Tongshi-2026")


# ---- roles: 三员分立 on every path ----------------------------------------------------------------


def test_it_refuses_two_admin_roles_to_one_person_at_creation(cast):
    with pytest.raises(DomainError) as caught:
        person_create(actor=None, username="two.hats", full_name="两顶帽子", unit=cast.prefecture,
                      roles=[Role.SYSADMIN, Role.AUDITOR], password=PASSWORD, check_password=False)
    assert caught.value.code == "user_admin_roles_separated"
    assert not User.objects.filter(username="two.hats").exists()


def test_it_refuses_a_second_admin_role_by_grant(office):
    c = office
    for role in (Role.SECADMIN, Role.AUDITOR):
        with pytest.raises(DomainError) as caught:
            role_grant(actor=c.secadmin, person=c.sysadmin, role=role)
        assert caught.value.code == "user_admin_roles_separated"
    assert fresh(c.sysadmin).roles == {Role.SYSADMIN}


def test_it_keeps_admin_and_business_roles_apart(office):
    c = office
    with pytest.raises(DomainError) as caught:
        role_grant(actor=c.secadmin, person=c.supervisor, role=Role.AUDITOR)
    assert caught.value.code == "user_admin_business_separated"
    with pytest.raises(DomainError) as caught:
        role_grant(actor=c.secadmin, person=c.auditor, role=Role.LEADER)
    assert caught.value.code == "user_admin_business_separated"
    with pytest.raises(DomainError) as caught:
        person_create(actor=None, username="mixed", full_name="混合", unit=c.prefecture,
                      roles=[Role.SUPERVISOR, Role.SYSADMIN], password=None)
    assert caught.value.code == "user_admin_business_separated"
    assert fresh(c.supervisor).roles == {Role.SUPERVISOR}
    assert fresh(c.auditor).roles == {Role.AUDITOR}


def test_it_lets_only_the_secadmin_grant_roles(office):
    c = office
    person = newcomer(c)
    with pytest.raises(PermissionDenied) as caught:
        role_grant(actor=c.sysadmin, person=person, role=Role.LIAISON)
    assert caught.value.code == "secadmin_only"
    with pytest.raises(PermissionDenied) as caught:
        person_create(actor=c.sysadmin, username="with.roles", full_name="带角色", unit=c.pref_drc,
                      roles=[Role.LIAISON], password="Dai-Jiaose-2026")
    assert caught.value.code == "secadmin_only"
    assert not User.objects.filter(username="with.roles").exists()
    assert fresh(person).roles == frozenset()


def test_it_records_a_grant_and_a_revoke_with_the_address(office):
    c = office
    person = newcomer(c)
    trail = Trail()
    role_grant(actor=c.secadmin, person=person, role=Role.LIAISON, address="10.2.3.4")
    event = trail.one("role.grant")
    assert event.actor_id == c.secadmin.pk
    assert (event.object_type, event.object_id) == ("user", person.pk)
    assert event.payload == {"role": "liaison", "person": person.pk, "username": "xin.ren", "ip": "10.2.3.4"}
    assert person.has_role(Role.LIAISON)

    role_revoke(actor=c.secadmin, person=person, role=Role.LIAISON, address="10.2.3.4")
    event = trail.one("role.revoke")
    assert event.payload["role"] == "liaison"
    assert event.payload["ip"] == "10.2.3.4"
    assert not person.has_role(Role.LIAISON)
    assert not RoleGrant.objects.filter(user=person).exists()


def test_it_refuses_a_grant_or_revoke_of_ones_own_roles(office):
    c = office
    trail = Trail()
    with pytest.raises(PermissionDenied) as caught:
        role_grant(actor=c.secadmin, person=c.secadmin, role=Role.SUPERVISOR)
    assert caught.value.code == "role_self_grant"
    with pytest.raises(PermissionDenied) as caught:
        role_revoke(actor=c.secadmin, person=c.secadmin, role=Role.SECADMIN)
    assert caught.value.code == "role_self_revoke"
    trail.none()
    assert fresh(c.secadmin).roles == {Role.SECADMIN}


def test_it_refuses_a_role_held_twice_or_revoked_when_not_held(office):
    c = office
    with pytest.raises(DomainError) as caught:
        role_grant(actor=c.secadmin, person=c.supervisor, role=Role.SUPERVISOR)
    assert caught.value.code == "role_already_granted"
    with pytest.raises(DomainError) as caught:
        role_revoke(actor=c.secadmin, person=c.supervisor, role=Role.LEADER)
    assert caught.value.code == "role_not_granted"
    with pytest.raises(DomainError) as caught:
        role_grant(actor=c.secadmin, person=c.supervisor, role="emperor")
    assert caught.value.code == "user_role_invalid"


# ---- who may call the admin services --------------------------------------------------------------


def sysadmin_calls(c):
    return {
        "unit_create": lambda actor: unit_create(actor=actor, name="新设机构", level=UnitLevel.DEPARTMENT,
                                                 parent=c.prefecture),
        "unit_update": lambda actor: unit_update(actor=actor, unit=c.pref_drc, short_name="发改"),
        "person_create": lambda actor: person_create(actor=actor, username="p.new", full_name="某人",
                                                     unit=c.pref_drc, roles=[], password="Mou-Ren-2026x"),
        "person_update": lambda actor: person_update(actor=actor, person=c.drc_liaison, phone="0871-1234567"),
        "person_deactivate": lambda actor: person_deactivate(actor=actor, person=c.drc_liaison),
        "person_activate": lambda actor: person_activate(actor=actor, person=c.drc_liaison),
        "person_password_reset": lambda actor: person_password_reset(actor=actor, person=c.drc_liaison,
                                                                     password="Chong-Zhi-2026x"),
    }


def secadmin_calls(c):
    attempt = AccessAttempt.objects.create(username=c.drc_liaison.username, ip_address="10.1.1.1",
                                           user_agent="", http_accept="", path_info="/login/",
                                           failures_since_start=5)
    device = TOTPDevice.objects.create(user=c.drc_liaison, name="手机", confirmed=True)
    return {
        "role_grant": lambda actor: role_grant(actor=actor, person=c.drc_liaison, role=Role.INSPECTOR),
        "role_revoke": lambda actor: role_revoke(actor=actor, person=c.drc_liaison, role=Role.LIAISON),
        "lockout_lift": lambda actor: lockout_lift(actor=actor, attempt=attempt),
        "otp_device_remove": lambda actor: otp_device_remove(actor=actor, device=device),
    }


@pytest.mark.parametrize("who", ["supervisor", "leader", "drc_liaison", "drc_head", "secadmin", "auditor"])
def test_it_refuses_the_sysadmins_services_to_anyone_else(office, who):
    c = office
    actor = getattr(c, who)
    trail = Trail()
    for name, call in sysadmin_calls(c).items():
        with pytest.raises(PermissionDenied) as caught:
            call(actor)
        assert caught.value.code == "sysadmin_only", name
    trail.none()


@pytest.mark.parametrize("who", ["supervisor", "leader", "drc_liaison", "sysadmin", "auditor"])
def test_it_refuses_the_secadmins_services_to_anyone_else(office, who):
    c = office
    actor = getattr(c, who)
    trail = Trail()
    for name, call in secadmin_calls(c).items():
        with pytest.raises(PermissionDenied) as caught:
            call(actor)
        assert caught.value.code == "secadmin_only", name
    trail.none()


def test_it_grants_nothing_to_a_superuser_flag(office):
    c = office
    User.objects.filter(pk=c.supervisor.pk).update(is_staff=True, is_superuser=True)
    with pytest.raises(PermissionDenied):
        unit_update(actor=fresh(c.supervisor), unit=c.pref_drc, short_name="发改")
    with pytest.raises(PermissionDenied):
        role_grant(actor=fresh(c.supervisor), person=c.drc_liaison, role=Role.LEADER)


def test_it_refuses_a_deactivated_sysadmin(office):
    c = office
    other = admin_person("xitong.2", Role.SYSADMIN, c.prefecture)
    person_deactivate(actor=None, person=other)
    with pytest.raises(PermissionDenied):
        unit_update(actor=fresh(other), unit=c.pref_drc, short_name="发改")


def test_it_writes_one_event_with_its_own_verb_for_each_service(office):
    c = office
    trail = Trail()
    unit = unit_create(actor=c.sysadmin, name="州数据局", level=UnitLevel.DEPARTMENT, parent=c.prefecture,
                       address="10.0.0.1")
    assert trail.one("unit.create").payload["ip"] == "10.0.0.1"
    unit_update(actor=c.sysadmin, unit=unit, short_name="数据局", aliases=["大数据局"], address="10.0.0.1")
    event = trail.one("unit.update")
    assert event.payload["fields"] == ["aliases", "short_name"]
    assert event.payload["ip"] == "10.0.0.1"

    person = person_create(actor=c.sysadmin, username="sjj.lianluo", full_name="杨联络", unit=unit, roles=[],
                           password="Yang-Lianluo-2026", address="10.0.0.1")
    event = trail.one("user.create")
    assert event.payload == {"username": "sjj.lianluo", "roles": [], "ip": "10.0.0.1"}
    person_update(actor=c.sysadmin, person=person, title="科员", phone="0871-7654321")
    assert trail.one("user.update").payload["fields"] == ["phone", "title"]
    person_password_reset(actor=c.sysadmin, person=person, password="Xin-Mima-2026x")
    event = trail.one("user.password_reset")
    assert "Xin-Mima-2026x" not in str(event.payload)
    person_deactivate(actor=c.sysadmin, person=person)
    trail.one("user.deactivate")
    person_activate(actor=c.sysadmin, person=person)
    trail.one("user.activate")
    role_grant(actor=c.secadmin, person=person, role=Role.LIAISON)
    trail.one("role.grant")
    role_revoke(actor=c.secadmin, person=person, role=Role.LIAISON)
    trail.one("role.revoke")


def test_it_leaves_nothing_behind_when_a_service_refuses(office):
    c = office
    trail = Trail()
    with pytest.raises(DomainError) as caught:
        person_password_reset(actor=c.sysadmin, person=c.drc_liaison, password="123")
    assert caught.value.code == "user_password_weak"
    with pytest.raises(DomainError) as caught:
        unit_update(actor=c.sysadmin, unit=c.county_drc, name="甲县城关镇")
    assert caught.value.code == "unit_name_taken"
    trail.none()
    assert fresh(c.drc_liaison).check_password(PASSWORD)


# ---- accounts -------------------------------------------------------------------------------------


def test_it_resets_a_password_that_must_be_changed_at_the_next_login(office):
    c = office
    person_password_reset(actor=c.sysadmin, person=c.drc_liaison, password="Chong-Zhi-2026x")
    person = fresh(c.drc_liaison)
    assert person.check_password("Chong-Zhi-2026x")
    assert person.must_change_password is True


def test_it_keeps_the_sysadmin_out_of_the_administrators_accounts(office):
    c = office
    for target in (c.secadmin, c.auditor, c.sysadmin):
        with pytest.raises(PermissionDenied) as caught:
            person_password_reset(actor=c.sysadmin, person=target, password="Jie-Guan-2026x")
        assert caught.value.code == "user_admin_account_protected"
    for target in (c.secadmin, c.auditor):
        with pytest.raises(PermissionDenied) as caught:
            person_deactivate(actor=c.sysadmin, person=target)
        assert caught.value.code == "user_admin_account_protected"
    assert fresh(c.auditor).check_password(PASSWORD)
    assert fresh(c.auditor).is_active
    person_password_reset(actor=None, person=c.auditor, password="Xi-Tong-2026x")  # the operator, from the CLI
    assert fresh(c.auditor).check_password("Xi-Tong-2026x")


def test_it_refuses_to_deactivate_oneself_or_twice(office):
    c = office
    with pytest.raises(DomainError) as caught:
        person_deactivate(actor=c.sysadmin, person=c.sysadmin)
    assert caught.value.code == "user_self_deactivate"
    person_deactivate(actor=c.sysadmin, person=c.drc_liaison)
    assert not fresh(c.drc_liaison).is_active
    with pytest.raises(DomainError) as caught:
        person_deactivate(actor=c.sysadmin, person=c.drc_liaison)
    assert caught.value.code == "user_already_inactive"


def test_it_moves_a_person_only_into_an_active_unit(office):
    c = office
    unit_update(actor=c.sysadmin, unit=c.township, is_active=False)
    with pytest.raises(DomainError) as caught:
        person_update(actor=c.sysadmin, person=c.county_liaison, unit=c.township)
    assert caught.value.code == "unit_inactive"
    person_update(actor=c.sysadmin, person=c.county_liaison, unit=c.county_drc)
    assert fresh(c.county_liaison).unit == c.county_drc


# ---- units ----------------------------------------------------------------------------------------


def test_it_moves_a_subtree_and_rewrites_every_path_below(office):
    c = office
    village = unit_create(actor=c.sysadmin, name="甲县城关镇某村", level=UnitLevel.TOWNSHIP, parent=c.township)
    trail = Trail()
    unit_update(actor=c.sysadmin, unit=c.county, parent=c.pref_drc)
    event = trail.one("unit.update")
    assert event.payload["fields"] == ["parent"]
    assert event.payload["moved"] == 4  # the county, its 发改局, its township and the village

    base = fresh(c.pref_drc).path
    assert fresh(c.county).path == f"{base}{c.county.pk}/"
    assert fresh(c.county_drc).path == f"{base}{c.county.pk}/{c.county_drc.pk}/"
    assert fresh(village).path == f"{base}{c.county.pk}/{c.township.pk}/{village.pk}/"
    assert fresh(c.other_county).path == f"{fresh(c.prefecture).path}{c.other_county.pk}/"
    assert fresh(c.county).parent == c.pref_drc


def test_it_refuses_to_move_a_unit_under_itself(office):
    c = office
    for under in (c.county, c.county_drc):
        with pytest.raises(DomainError) as caught:
            unit_update(actor=c.sysadmin, unit=c.county, parent=under)
        assert caught.value.code == "unit_parent_cycle"
    assert fresh(c.county).parent == c.prefecture


# ---- the back office over HTTP --------------------------------------------------------------------


def enter(client, user: User) -> None:
    """Log in as if password and second factor had both been given (administrators must have both)."""
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="手机", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


MODEL_URLS = {
    "unit": "/admin/org/unit/",
    "person": "/admin/org/user/",
    "rolegrant": "/admin/org/rolegrant/",
    "calendarday": "/admin/workdays/calendarday/",
    "calendaryear": "/admin/workdays/calendaryear/",
    "event": "/admin/audit/event/",
    "accessattempt": "/admin/axes/accessattempt/",
    "accesslog": "/admin/axes/accesslog/",
    "accessfailurelog": "/admin/axes/accessfailurelog/",
    "totpdevice": "/admin/otp_totp/totpdevice/",
    "group": "/admin/auth/group/",
    "ladderstep": "/admin/escalation/ladderstep/",
    "robot": "/admin/escalation/robot/",
    "delivery": "/admin/escalation/delivery/",
    "urge": "/admin/escalation/urge/",
    "notice": "/admin/escalation/notice/",
    "scorerule": "/admin/scorecards/scorerule/",
}
SEES = {
    "sysadmin": {"unit", "person", "calendarday", "calendaryear", "ladderstep", "robot", "delivery", "scorerule"},
    "secadmin": {"rolegrant", "accessattempt", "accesslog", "accessfailurelog", "totpdevice"},
    "auditor": {"event"},
}


@pytest.mark.parametrize("who", ["supervisor", "leader", "drc_liaison", "drc_head"])
def test_it_keeps_business_users_out_of_the_back_office(client, office, who):
    user = getattr(office, who)
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)  # the flags open nothing
    enter(client, fresh(user))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get("/admin/org/unit/").status_code == 302


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor"])
def test_it_shows_each_administrator_only_their_own_models(client, office, who):
    enter(client, getattr(office, who))
    index = client.get("/admin/")
    assert index.status_code == 200
    listed = {m["object_name"].lower() for app in index.context["app_list"] for m in app["models"]}
    assert listed == {"user" if m == "person" else m for m in SEES[who]}
    for name, url in MODEL_URLS.items():
        status = client.get(url).status_code
        if name in SEES[who]:
            assert status == 200, url
        else:
            assert status in (403, 404), url


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor"])
def test_it_shows_no_business_content_to_any_administrator(client, office, frozen, who):
    c = office
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府常务会议纪要",
                                 issued_on=D(2026, 5, 28))
    task = s.task_create(actor=c.supervisor, decision=decision, title="推进重点项目开工",
                         lead_unit_ids=[c.pref_drc.pk])
    enter(client, getattr(c, who))
    for url in ("/admin/supervision/", "/admin/supervision/task/", f"/admin/supervision/task/{task.pk}/change/",
                "/admin/supervision/decision/", "/admin/supervision/assignment/", "/admin/supervision/report/"):
        assert client.get(url).status_code == 404, url


def test_it_lets_an_administrator_log_in_without_the_staff_flag_and_refuses_others(client, office):
    c = office
    assert not c.auditor.is_staff
    response = client.post("/admin/login/?next=/admin/", {"username": c.auditor.username, "password": PASSWORD})
    assert response.status_code == 302
    client.logout()
    response = client.post("/admin/login/?next=/admin/", {"username": c.supervisor.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_audits_a_unit_edit_made_in_the_admin_form(client, office):
    c = office
    enter(client, c.sysadmin)
    trail = Trail()
    response = client.post(f"/admin/org/unit/{c.county_drc.pk}/change/", {
        "name": "甲县发展和改革局", "short_name": "甲县发改", "aliases": "发改局、县发改局",
        "level": UnitLevel.DEPARTMENT, "parent": c.county.pk, "sort_order": 3, "is_active": "on",
        "_save": "保存",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    event = trail.one("unit.update")
    assert event.actor_id == c.sysadmin.pk
    assert event.payload["fields"] == ["aliases", "short_name", "sort_order"]
    assert event.payload["ip"] == "127.0.0.1"
    unit = fresh(c.county_drc)
    assert (unit.short_name, unit.aliases, unit.sort_order) == ("甲县发改", ["发改局", "县发改局"], 3)


def test_it_moves_a_unit_through_the_admin_form_and_refuses_a_cycle(client, office):
    c = office
    enter(client, c.sysadmin)
    form = {"name": "甲县", "short_name": "", "aliases": "", "level": UnitLevel.COUNTY, "sort_order": 0,
            "is_active": "on", "_save": "保存"}
    trail = Trail()
    response = client.post(f"/admin/org/unit/{c.county.pk}/change/", {**form, "parent": c.county_drc.pk})
    assert response.status_code == 200  # the form again, with its error
    assert "上级单位不能是本单位或其下级单位" in response.content.decode()
    trail.none()
    response = client.post(f"/admin/org/unit/{c.county.pk}/change/", {**form, "parent": c.other_county.pk})
    assert response.status_code == 302
    assert trail.one("unit.update").payload["moved"] == 3
    assert fresh(c.county_drc).path.startswith(fresh(c.other_county).path)


def test_it_creates_an_account_without_roles_through_the_admin_form(client, office):
    c = office
    enter(client, c.sysadmin)
    trail = Trail()
    response = client.post("/admin/org/user/add/", {
        "username": "zhang.san", "full_name": "张三", "unit": c.pref_drc.pk, "title": "科员", "phone": "",
        "password1": "Zhang-San-2026x", "password2": "Zhang-San-2026x", "_save": "保存",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    event = trail.one("user.create")
    person = User.objects.get(username="zhang.san")
    assert event.object_id == person.pk
    assert person.roles == frozenset()
    assert person.check_password("Zhang-San-2026x")
    assert person.must_change_password is True  # chosen by the sysadmin: replaced at the first sign-in


def test_it_resets_a_password_and_edits_a_person_in_one_admin_save(client, office):
    c = office
    enter(client, c.sysadmin)
    trail = Trail()
    response = client.post(f"/admin/org/user/{c.drc_liaison.pk}/change/", {
        "full_name": "王联络", "unit": c.pref_drc.pk, "title": "副科长", "phone": "",
        "new_password1": "Wang-Lianluo-2026x", "new_password2": "Wang-Lianluo-2026x", "_save": "保存",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [e.verb for e in trail.new()] == ["user.update", "user.password_reset"]
    assert fresh(c.drc_liaison).check_password("Wang-Lianluo-2026x")


def test_it_deactivates_people_with_the_admin_action(client, office):
    c = office
    enter(client, c.sysadmin)
    trail = Trail()
    response = client.post("/admin/org/user/", {
        "action": "deactivate_selected", "_selected_action": [c.drc_liaison.pk, c.auditor.pk],
    })
    assert response.status_code == 302
    assert [(e.verb, e.object_id) for e in trail.new()] == [("user.deactivate", c.drc_liaison.pk)]
    assert not fresh(c.drc_liaison).is_active
    assert fresh(c.auditor).is_active  # an administrator's account is not the sysadmin's to stop


def test_it_grants_and_revokes_a_role_through_the_admin(client, office):
    c = office
    person = newcomer(c)
    enter(client, c.secadmin)
    trail = Trail()
    response = client.post("/admin/org/rolegrant/add/", {"user": person.pk, "role": Role.LIAISON,
                                                         "_save": "保存"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert trail.one("role.grant").payload["ip"] == "127.0.0.1"
    grant = RoleGrant.objects.get(user=person, role=Role.LIAISON)

    response = client.post("/admin/org/rolegrant/add/", {"user": person.pk, "role": Role.AUDITOR,
                                                         "_save": "保存"}, follow=True)
    assert "管理员不能同时担任业务角色" in response.content.decode()
    trail.none()
    assert not RoleGrant.objects.filter(user=person, role=Role.AUDITOR).exists()

    response = client.post(f"/admin/org/rolegrant/{grant.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert trail.one("role.revoke").payload["role"] == "liaison"
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()


def test_it_lets_the_auditor_filter_and_search_the_trail_and_change_nothing(client, office):
    c = office
    person = newcomer(c)
    role_grant(actor=c.secadmin, person=person, role=Role.LIAISON, address="10.9.8.7")
    enter(client, c.auditor)

    response = client.get("/admin/audit/event/", {"verb": "role.grant"})
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert [e.verb for e in shown] == ["role.grant"]
    assert "10.9.8.7" in response.content.decode()

    response = client.get("/admin/audit/event/", {"actor__id__exact": c.sysadmin.pk})
    assert {e.verb for e in response.context["cl"].result_list} == {"user.create"}

    at = timezone.localtime(Event.objects.latest("seq").created_at)
    day_start = at.replace(hour=0, minute=0, second=0, microsecond=0)
    response = client.get("/admin/audit/event/", {"created_at__gte": str(day_start),
                                                  "created_at__lt": str(day_start + dt.timedelta(days=1))})
    assert response.context["cl"].result_count == Event.objects.filter(created_at__gte=day_start).count() > 0
    response = client.get("/admin/audit/event/", {"created_at__year": at.year, "created_at__month": at.month,
                                                  "created_at__day": at.day, "verb": "role.grant"})
    assert [e.verb for e in response.context["cl"].result_list] == ["role.grant"]

    response = client.get("/admin/audit/event/", {"q": "anquan.admin"})
    assert {e.actor_id for e in response.context["cl"].result_list} == {c.secadmin.pk}

    event = Event.objects.get(verb="role.grant")
    page = client.get(f"/admin/audit/event/{event.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(f"/admin/audit/event/{event.pk}/change/", {"verb": "x"}).status_code == 403
    assert client.post(f"/admin/audit/event/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Event.objects.get(pk=event.pk).verb == "role.grant"


def test_it_shows_the_secadmin_second_factor_devices_without_their_secrets(client, office):
    c = office
    enter(client, c.auditor)
    lost = TOTPDevice.objects.get(user=c.auditor)
    client.logout()
    enter(client, c.secadmin)
    page = client.get(f"/admin/otp_totp/totpdevice/{lost.pk}/change/")
    assert page.status_code == 200
    assert lost.key not in page.content.decode()
    qrcode = client.get(f"/admin/otp_totp/totpdevice/{lost.pk}/qrcode/", follow=True)
    assert not qrcode["Content-Type"].startswith("image/")

    trail = Trail()
    response = client.post(f"/admin/otp_totp/totpdevice/{lost.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    event = trail.one("security.otp_remove")
    assert (event.actor_id, event.object_id, event.payload["ip"]) == (c.secadmin.pk, c.auditor.pk, "127.0.0.1")
    assert not TOTPDevice.objects.filter(pk=lost.pk).exists()


def test_it_lets_the_secadmin_lift_a_lockout_and_keeps_the_logs(client, office):
    c = office
    attempt = AccessAttempt.objects.create(username=c.drc_liaison.username, ip_address="10.1.1.1",
                                           user_agent="", http_accept="", path_info="/login/",
                                           failures_since_start=5)
    log = AccessLog.objects.create(username=c.drc_liaison.username, ip_address="10.1.1.1", user_agent="",
                                   http_accept="", path_info="/login/")
    enter(client, c.sysadmin)
    assert client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 403
    client.logout()
    enter(client, c.secadmin)
    assert client.post(f"/admin/axes/accesslog/{log.pk}/delete/", {"post": "yes"}).status_code == 403
    trail = Trail()
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    event = trail.one("security.lockout_lift")
    assert (event.object_id, event.payload["locked_ip"]) == (c.drc_liaison.pk, "10.1.1.1")
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert AccessLog.objects.filter(pk=log.pk).exists()
