import datetime as dt
import io
from collections import Counter

import pytest

from duban.audit.chain import chain_verify
from duban.demo.plan import plan_prefecture
from duban.demo.prefecture import build_prefecture
from duban.org.models import Role, Unit, User
from duban.supervision.models import DecisionKind, Light, Task

pytestmark = pytest.mark.slow


# Committed day by day as `duban demo` does, not inside one test-wide transaction: there, on
# PostgreSQL, every audit append would walk all the row versions that the year's earlier appends
# left on the chain head. A flush empties the tables afterwards; serialized_rollback puts back what
# the migrations wrote (the calendar, the chain head) should an earlier test have flushed them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.timeout(1800)  # about a minute on SQLite; several on a busy PostgreSQL
def test_it_builds_a_year_of_the_demo_prefecture():
    out = io.StringIO()
    summary = build_prefecture(seed=7, password="Demo-Pass-7", out=out)

    levels = Counter(Unit.objects.values_list("level", flat=True))
    assert levels["county"] == 8
    assert levels["department"] >= 55
    assert levels["township"] >= 95
    for role in Role.values:
        assert User.objects.filter(role_grants__role=role).exists(), role

    assert summary.tasks == Task.objects.count() >= 550
    kinds = set(Task.objects.values_list("decision__kind", flat=True))
    assert kinds == set(DecisionKind.values)
    states = Counter(Task.objects.values_list("state", flat=True))
    assert states["closed"] and states["in_progress"] and states["cancelled"]
    assert states["assigned"] + states["closing"] > 0
    lights = set(Task.objects.values_list("light", flat=True))
    assert {Light.RED, Light.YELLOW, Light.GREEN, Light.DONE_ON_TIME, Light.DONE_LATE} <= lights
    assert Task.objects.filter(parent_assignment__isnull=False).exists()

    # Every planned task was created, under its planned title.
    plan = plan_prefecture(7, end=summary.end)  # the history the build replayed, whatever the hour now
    created = Counter(Task.objects.filter(parent_assignment__isnull=True).values_list("title", flat=True))
    assert created == Counter(t.title for t in plan.tasks)

    assert chain_verify().ok
    logged_in = {User.objects.get(username=username) for _, username, _ in summary.logins}
    for role in Role.values:
        assert any(user.has_role(role) for user in logged_in), role
    assert User.objects.get(username=summary.logins[0][1]).check_password("Demo-Pass-7")
    assert "跳过" in out.getvalue()


def test_it_plans_the_same_prefecture_for_the_same_seed():
    end = dt.date(2026, 11, 29)
    first, second = plan_prefecture(7, end=end), plan_prefecture(7, end=end)
    assert first == second
    assert [t.title for t in first.tasks] == [t.title for t in second.tasks]
    other = plan_prefecture(8, end=end)
    assert [t.title for t in other.tasks] != [t.title for t in first.tasks]


def test_the_history_ends_on_the_last_day_whose_planned_work_has_happened(frozen):
    from duban.core import clock
    from duban.demo.plan import history_end

    frozen.move_to(clock.at_local(dt.date(2026, 6, 1), 0, 20))  # just after midnight: today's work is ahead
    assert history_end() == dt.date(2026, 5, 31)
    frozen.move_to(clock.at_local(dt.date(2026, 6, 1), 16, 59))
    assert history_end() == dt.date(2026, 5, 31)
    frozen.move_to(clock.at_local(dt.date(2026, 6, 1), 17))
    assert history_end() == dt.date(2026, 6, 1)
    assert plan_prefecture(7).end == dt.date(2026, 6, 1)
