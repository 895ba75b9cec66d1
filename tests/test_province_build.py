"""The province-size benchmark data set, built tiny: counts, constraints, unit paths, and a sweep over it."""

import datetime as dt
import io

import pytest
from django.db import connection, transaction
from django.db.models import Count

from duban.audit.chain import chain_verify
from duban.audit.models import Event
from duban.demo.province import _Generator, build_province
from duban.org.models import RoleGrant, Unit, User
from duban.supervision.lights import lights_refresh
from duban.supervision.models import Assignment, Decision, Milestone, Report, Task

SCALE = 0.0005  # 500 tasks


@pytest.fixture
def province(db, frozen):
    out = io.StringIO()
    summary = build_province(seed=1, password="Duban-Bench-2026", out=out, scale=SCALE)
    return summary, out.getvalue()


def test_it_builds_the_counts_it_reports(province):
    summary, printed = province
    assert summary.tasks == Task.objects.count() == 500
    assert summary.units == Unit.objects.count()
    assert summary.people == User.objects.count()
    assert summary.decisions == Decision.objects.count() == 25
    assert summary.assignments == Assignment.objects.count()
    assert summary.reports == Report.objects.count()
    assert 1.3 <= summary.assignments / summary.tasks <= 1.8
    assert 3.5 <= summary.reports / summary.tasks <= 6.5
    assert Milestone.objects.exists()
    assert "province: done in" in printed
    assert summary.logins and User.objects.get(username=summary.logins[0][1]).check_password("Duban-Bench-2026")


def _generated(seed: int) -> list[tuple]:
    gen = _Generator(seed=seed, scale=SCALE, today=dt.date(2026, 6, 1), tz_suffix="")
    gen.set_bases(dict.fromkeys((Unit, User, RoleGrant, Decision, Task, Assignment, Milestone, Report), 0))
    gen.units()
    gen.people("x")
    gen.decisions()
    chunk = next(gen.task_chunks())
    return chunk.tasks + chunk.assignments + chunk.reports


def test_it_is_deterministic_for_a_seed(db):
    assert _generated(3) == _generated(3)
    assert _generated(3) != _generated(4)


def test_it_spreads_task_states(db, frozen):
    build_province(seed=7, password="x", out=io.StringIO(), scale=SCALE)
    first = list(Task.objects.order_by("id").values_list("code", "state"))
    assert len({code for code, _ in first}) == len(first)
    states = {s: n for s, n in Task.objects.values_list("state").annotate(n=Count("id"))}
    assert 0.3 < states.get("closed", 0) / len(first) < 0.6
    assert {"assigned", "in_progress", "closing", "cancelled"} <= set(states)


def test_it_keeps_unit_paths_materialised(province):
    units = {u.pk: u for u in Unit.objects.all()}
    roots = [u for u in units.values() if u.parent_id is None]
    assert [u.level for u in roots] == ["province"]
    for unit in units.values():
        prefix = units[unit.parent_id].path if unit.parent_id else "/"
        assert unit.path == f"{prefix}{unit.pk}/"
    assert {u.level for u in units.values()} == {"province", "prefecture", "county", "department", "township"}


def test_it_respects_every_constraint(province):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred foreign keys are checked now
        else:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []
    for model in (Unit, User, Decision, Task, Assignment, Milestone, Report):
        for obj in model.objects.order_by("id")[:40]:
            obj.full_clean()
    live = Assignment.objects.exclude(state__in=["reassigned", "cancelled"])
    assert not live.values("task", "unit").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not Task.objects.filter(deadline__isnull=True, cadence="none").exists()
    for a in Assignment.objects.filter(deadline__isnull=False):
        assert a.assigned_on < a.deadline and a.sign_due > a.assigned_on
    assert set(Assignment.objects.values_list("return_count", flat=True)) <= {0, 1, 2, 3}
    assert Assignment.objects.filter(next_report_due__isnull=False).exists()
    sub = Task.objects.filter(parent_assignment__isnull=False).select_related("parent_assignment")
    assert sub.exists()
    for task in sub:
        assert task.parent_assignment.task_id == task.parent_id
        assert task.parent_assignment.unit_id == task.owner_unit_id
    assert chain_verify().ok
    assert Event.objects.filter(verb="demo.bulk_load").count() == 1


def test_it_leaves_active_lights_for_the_sweep_to_set(province):
    active = Assignment.objects.filter(state__in=["pending", "in_progress", "review", "returned"])
    assert set(active.values_list("light", flat=True)) == {"none"}
    with transaction.atomic():
        changed_assignments, changed_tasks = lights_refresh()
    assert changed_assignments == active.count() > 0
    assert not active.filter(light="none").exists()
    assert not Task.objects.filter(state__in=["assigned", "in_progress", "closing"], light="none").exists()
    assert changed_tasks > 0
    assert set(Assignment.objects.filter(state="done").values_list("light", flat=True)) <= {"done_on_time",
                                                                                              "done_late"}
