import datetime as dt
import io
from collections import Counter

import pytest

from duban.audit.chain import chain_verify
from duban.demo.plan import plan_prefecture
from duban.demo.prefecture import build_prefecture
from duban.inspection.models import Finding, FindingState, Inspection, InspectionState, Visit
from duban.inspection.rules import finding_state
from duban.org.models import Role, Unit, User
from duban.supervision.models import DecisionKind, Light, Task
from duban.voice.models import Clue, ClueRating, ClueState
from duban.voice.store import similar_for

pytestmark = pytest.mark.slow


# Committed day by day as `duban demo` does, not inside one test-wide transaction: there, on
# PostgreSQL, every audit append would walk all the row versions that the year's earlier appends
# left on the chain head. A flush empties the tables afterwards; serialized_rollback puts back what
# the migrations wrote (the calendar, the chain head) should an earlier test have flushed them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.timeout(1800)  # about a minute on SQLite; several on a busy PostgreSQL
def test_it_builds_a_year_of_the_demo_prefecture(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the clues' and visits' photos, the rectifications' evidence
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

    assert_clues_lived_through_the_portal(plan)
    assert_inspections_lived_on_site()

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


def assert_clues_lived_through_the_portal(plan):
    """Every clue task was forwarded from a clue the public sent; the office's queue, answers and ratings."""
    states = Counter(Clue.objects.values_list("state", flat=True))
    assert set(states) == set(ClueState.values), states
    assert states[ClueState.RECEIVED] >= 10  # the triage queue: the last days' clues
    forwarded = Task.objects.filter(decision__kind=DecisionKind.CLUE, parent_assignment__isnull=True)
    assert forwarded.count() == Clue.objects.filter(task__isnull=False, owns_task=True).count() >= 60
    assert not forwarded.filter(clues__isnull=True).exists()
    ratings = Counter(ClueRating.objects.values_list("rating", flat=True))
    assert ratings["satisfied"] > ratings["basic"] > 0 and ratings["unsatisfied"] > 0
    assert Clue.objects.filter(round=2, replies__round=2).exists()  # reopened, then answered again
    assert Clue.objects.filter(state=ClueState.CLOSED, rating="").exists()  # never rated: closed by the sweep
    assert Clue.objects.filter(photos__isnull=False).exists()
    assert Clue.objects.filter(contact_phone_sealed="").exists() and Clue.objects.exclude(contact_phone_sealed="").exists()
    assert not Clue.objects.filter(state=ClueState.DECLINED, close_reason="").exists()
    for clue in Clue.objects.filter(state=ClueState.MERGED).select_related("place_unit"):
        place = " ".join(p for p in (clue.place_unit.name if clue.place_unit else "", clue.place_text) if p)
        found = similar_for(text=clue.description, place=place, category=clue.category, k=3,
                            exclude=[("clue", clue.pk)])
        assert ("clue", clue.merged_into_id) in {(m.kind, m.ref_id) for m in found}, clue.description


def assert_inspections_lived_on_site():
    """Inspections with teams, visits, findings rectified through tasks of kind inspection, and 复查."""
    states = Counter(Inspection.objects.values_list("state", flat=True))
    assert states[InspectionState.FINISHED] >= 8 and states[InspectionState.PLANNED] >= 1
    assert not Inspection.objects.filter(team__isnull=True).exists()
    assert Visit.objects.exclude(people_met="").exists() and Visit.objects.filter(photos__isnull=False).exists()
    findings = list(Finding.objects.annotate(current_state=finding_state())
                    .select_related("task__decision").prefetch_related("rechecks"))
    assert len(findings) >= 30
    assert all(f.task.decision.kind == DecisionKind.INSPECTION for f in findings if f.task_id)
    assert {FindingState.CLOSED, FindingState.RECTIFYING} <= {f.current_state for f in findings}
    for f in findings:
        if f.current_state == FindingState.CLOSED and f.requires_recheck:
            assert max(f.rechecks.all(), key=lambda r: r.recorded_at).passed
    assert any(f.current_state == FindingState.CLOSED and f.requires_recheck for f in findings)
