"""The 示范州's year of public clues (群众线索) and field inspections (实地督查), planned from the seed.

A clue is submitted by a citizen at any hour; the office forwards it (转办, which makes its decision and
task), merges it into an earlier clue of the same matter, declines it with a reason, or has not yet got to
it when the history ends (the triage queue). A forwarded clue's task follows a fate like any task's, and
the sender rates each answer: mostly satisfied, some basic, about one in ten unsatisfied (the clue is
reopened, 重办), some never rated (the sweep closes them).

An inspection is planned by the office, its team visits the places on its days, records what it finds,
and each finding becomes a rectification task (整改) that a team member goes back to recheck (复查).

The last clues are placed at fixed working days before the end, so that whatever day the demo is built
its offices show a clue reopened, one answered and waiting for its rating, and some still being handled;
the last two inspections are under way and planned.
"""

import datetime as dt
from dataclasses import replace

from duban.core import clock
from duban.demo import clue_words as w
from duban.demo import inspection_words as iw
from duban.demo.names import SURNAMES, full_name
from duban.demo.planned import Fate, PlannedClue, PlannedFinding, PlannedInspection, PlannedVisit
from duban.org.models import UnitLevel
from duban.supervision.models import DecisionKind

# The last forwarded clues, in working days before the end, and the part some of them play.
RECENT_CLUES = (22, 18, 14, 10, 8, 6, 4, 2)
RECENT_ROLES = {22: "reopened", 10: "answered", 4: "open", 2: "open"}
QUEUE = 15  # clues still waiting for the office
MERGED = 4
OFFICE = ("zfdcs.ducha", "zfdcs.ducha2")


def plan_clues(p, count: int) -> None:
    """`count` forwarded clues (their tasks), with the merged, declined and waiting ones around them."""
    rng = p.rng
    days = p.spread(count - len(RECENT_CLUES), first=p.start + dt.timedelta(days=3),
                    last=p.end - dt.timedelta(days=40))
    forwarded: list[tuple[PlannedClue, dict]] = []
    for day in days:
        forwarded.append(_forwarded(p, p.later(day, 0, 1), ""))
    for n in RECENT_CLUES:
        forwarded.append(_forwarded(p, p.calendar.add_workdays(p.end, -n), RECENT_ROLES.get(n, "")))
    clues = [c for c, _ in forwarded]
    # Duplicates: another sender tells an earlier matter again; the office merges it into the first.
    earlier = [x for x in forwarded[: len(days)] if x[0].submitted_at.date() < p.end - dt.timedelta(days=60)]
    originals = rng.sample(earlier, MERGED)
    for original, facts in originals:
        day = original.submitted_at.date() + dt.timedelta(days=rng.randint(2, 12))
        clue = _clue(p, _at(p, day), facts, text=facts["matter"].retold, route="merge")
        clues.append(replace(clue, routed_on=p.later(day, 0, 1), router=rng.choice(OFFICE), into=original.key))
    for category, text, reason in w.DECLINED:
        day = p.pick_day(p.start + dt.timedelta(days=40), p.end - dt.timedelta(days=30))
        clue = _clue(p, _at(p, day), None, text=text, route="decline", category=category)
        clues.append(replace(clue, routed_on=p.later(day, 0, 1), router=rng.choice(OFFICE), reason=reason))
    # The queue: the last week's clues, two of them a matter told again that the office is handling.
    merged_away = {c.key for c, _ in originals}
    retold = rng.sample([f for c, f in forwarded[-14:-4] if c.key not in merged_away], 2)
    for i in range(QUEUE):
        day = p.end - dt.timedelta(days=rng.randint(0, 8))
        facts = retold[i] if i < len(retold) else None
        text = facts["matter"].retold if facts else None
        clues.append(_clue(p, _at(p, day, last=p.end), facts, text=text, route="queue"))
    clues.sort(key=lambda c: c.submitted_at)
    p.clues.extend(replace(c, address=f"10.8.{i // 200}.{i % 200 + 10}") for i, c in enumerate(clues))


def _at(p, day: dt.date, last: dt.date | None = None) -> dt.datetime:
    """When a citizen writes: any hour from early morning to late at night, never before the history."""
    hour = p.rng.choice([7, 8, 10, 12, 13, 19, 20, 21, 22])
    if last is not None and day == last:
        hour = min(hour, 16)  # the last day's evening has not come yet
    moment = clock.at_local(day, hour, p.rng.randint(0, 59))
    return max(moment, clock.at_local(p.start, 8))


def _place(p, matter: w.Matter) -> dict:
    rng = p.rng
    county = rng.choice(p.counties)
    towns = p.org.children(county.key, UnitLevel.TOWNSHIP)
    town = towns[0] if matter.urban else rng.choice(towns)
    spot = rng.choice(matter.spots)
    if matter.spots in (w.FIRMS, w.QUARRIES, w.FARMS):  # a firm is registered under its county's name
        spot = county.name[:2] + spot
    return dict(matter=matter, county=county, town=town, spot=spot, b=rng.randint(1, 12))


def _fill(p, text: str, facts: dict) -> str:
    return text.format(county=facts["county"].name, town=facts["town"].name[len(facts["county"].name):],
                       spot=facts["spot"], b=facts["b"], n=p.rng.randint(3, 9), m=p.rng.randint(2, 30))


def _clue(p, at: dt.datetime, facts: dict | None, *, text: str | None = None, route: str,
          category: str = "") -> PlannedClue:
    rng = p.rng
    if facts is None and text is None:
        facts = _place(p, rng.choice(w.MATTERS))
    if facts is None:
        description = text
    elif text is None:  # in the sender's own manner: a greeting, the matter, a plea
        description = rng.choice(w.OPENINGS) + _fill(p, rng.choice(facts["matter"].texts), facts) + rng.choice(w.PLEAS)
    else:
        description = _fill(p, text, facts)
    if facts is None:  # a declined clue names no place of a matter: only the county it came from
        county = rng.choice(p.counties)
        place, place_text = county.key, ""
    else:
        roll = rng.random()
        town_short = facts["town"].name[len(facts["county"].name):]
        place = facts["town"].key if roll < 0.7 else facts["county"].key if roll < 0.9 else ""
        place_text = f"{town_short}{facts['spot']}" if place else f"{facts['county'].name}{town_short}{facts['spot']}"
    name, phone = _sender(p)
    return PlannedClue(
        key=f"c{p.number('clue')}", submitted_at=at,
        category=category or facts["matter"].category, description=description, place=place,
        place_text=place_text, name=name, phone=phone, address="", route=route,
        photo=bool(facts) and facts["matter"].photo and rng.random() < 0.35,
        reveal=bool(name or phone) and rng.random() < 0.4,
    )


def _sender(p) -> tuple[str, str]:
    """Most write anonymously; some leave a name and a phone, a few a phone only."""
    rng = p.rng
    roll = rng.random()
    if roll < 0.5:
        return "", ""
    phone = rng.choice(w.PHONE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
    if roll < 0.6:
        return "", phone
    name = full_name(rng) if rng.random() < 0.6 else rng.choice(SURNAMES) + rng.choice(w.GIVEN_SUFFIXES)
    return name, phone


def _forwarded(p, forward_on: dt.date, role: str) -> tuple[PlannedClue, dict]:
    """A clue the office forwards on `forward_on` to the county (属地), with its task and its senders' ratings."""
    rng = p.rng
    for _ in range(10):
        facts = _place(p, rng.choice(w.MATTERS))
        title = f"核查处理{facts['town'].name}{facts['matter'].problem}问题并答复群众"
        if title not in p.titles:
            break
    submitted = forward_on - dt.timedelta(days=rng.choice([0, 0, 1, 1, 2, 3]))
    at = _at(p, submitted)
    if at.date() == forward_on:
        at = min(at, clock.at_local(forward_on, 8, rng.randint(0, 50)))  # before the office forwards it
    clue = _clue(p, at, facts, route="forward")
    matter, county, town = facts["matter"], facts["county"], facts["town"]
    lead, cooperate = (county.key,), (f"pref:{matter.dept}",)
    pool = (town.key,) if rng.random() < 0.6 else ()
    fate = replace(p.fate(lead, DecisionKind.CLUE, cascade_pool=pool, cascade_odds=0.6), cancel=False)
    late = fate.pace in ("late", "very_late")
    first = rng.choices(["satisfied", "basic", "unsatisfied", ""], weights=[50, 22, 16, 12] if late else [64, 16, 8, 12])[0]
    ratings = (first,)
    redo_pace = rng.choice(["prompt", "prompt", "tight"])
    rate_after = rng.randint(1, 6)
    if role == "reopened":  # rated 不满意 soon, the second round slow: still 重办中 at the end
        fate, ratings, rate_after, redo_pace = Fate(pace="prompt"), ("unsatisfied",), 2, "very_late"
    elif role == "answered":  # answered in the last days, not yet rated
        fate, ratings = Fate(pace="prompt"), ("",)
    elif role == "open":  # forwarded in the last days, the county at work near the deadline
        fate = Fate(pace="tight")
    if ratings[0] == "unsatisfied":
        ratings += (rng.choices(["satisfied", "basic", "unsatisfied"], weights=[45, 40, 15])[0],)
    comments = tuple(rng.choice(w.RATING_COMMENTS[r]) if r else "" for r in ratings)
    answers = (_fill(p, matter.answer, facts), rng.choice(w.REDO_ANSWERS))
    supervisor = rng.choice(OFFICE)
    clue = replace(clue, routed_on=forward_on, router=supervisor, answers=answers, ratings=ratings,
                   comments=comments, rate_after=rate_after, redo_pace=redo_pace)
    requirements = (f"请{p.name(county.key)}牵头核实处理，{p.name(cooperate[0])}配合，按时限答复群众，"
                    "答复内容须写明核查情况、处理结果和整改措施，不得简单转述或推诿。")
    p.task_at(clue.key, forward_on, supervisor, title, "群众线索", lead, cooperate, fate=fate,
              requirements=requirements, clue=clue.key)
    return clue, facts


# --- inspections ------------------------------------------------------------------------------------------

INSPECTORS = ("zhou.duchazu1", "zhou.duchazu2")


def plan_inspections(p, count: int) -> None:
    """`count` inspections over the year; the second-to-last under way at the end, the last still planned."""
    rng = p.rng
    starts = p.spread(count - 2, first=p.start + dt.timedelta(days=30), last=p.end - dt.timedelta(days=45))
    starts += [p.calendar.add_workdays(p.end, -2), p.calendar.add_workdays(p.end, 4)]
    for starts_on in starts:
        program = rng.choice(iw.PROGRAMS)
        _inspection(p, program, starts_on)


def _inspection(p, program: iw.Program, starts_on: dt.date) -> None:
    rng = p.rng
    year = starts_on.year
    n = p.number(f"inspection{year}{program.subject}")
    key = f"i{len(p.inspections) + 1}"
    title = f"{year}年{program.subject}专项督查" + (f"（第{n}批）" if n > 1 else "")
    ends_on = p.calendar.add_workdays(starts_on, rng.randint(2, 4))
    places = rng.sample(p.counties, rng.randint(2, 3))
    leader = rng.choice([INSPECTORS[0], "zfdcs.ducha2"])
    team = [leader, *[u for u in (INSPECTORS[1], "zfdcs.ducha2", INSPECTORS[0]) if u != leader][: rng.randint(1, 2)]]
    lent = [c for c in p.counties if c not in places]
    if rng.random() < 0.5:  # a county's supervisor lent to the team (never for the county's own)
        team.append(f"{rng.choice(lent).login}.ducha")
    days = _workdays(p, starts_on, ends_on)
    visits: list[PlannedVisit] = []
    for i, county in enumerate(places):
        for j in range(rng.choice([1, 1, 2])):
            day = days[min(len(days) - 1, i + j)]
            unit = county.key if j == 0 else rng.choice(p.org.children(county.key, UnitLevel.TOWNSHIP)).key
            site = rng.choice(program.sites)
            where = p.units[unit].name
            notes = rng.choice(iw.VISIT_NOTES).format(site=site, unit=where, subject=program.subject,
                                                     documents=program.documents, n=rng.randint(12, 60))
            visits.append(PlannedVisit(
                key=f"{key}.v{len(visits) + 1}", inspection=key, day=day, unit=unit, place=f"{where}{site}",
                notes=notes + rng.choice(iw.VISIT_VERDICTS),
                people_met=rng.choice(iw.PEOPLE_MET).format(unit=where, n=rng.randint(3, 9), m=rng.randint(2, 12)),
                recorder=rng.choice([u for u in team if not u.endswith(".ducha") or u.startswith("zfdcs")]),
                photo=rng.random() < 0.4))
    requires_recheck = rng.random() < 0.7
    inspection = PlannedInspection(
        key=key, title=title, creator="zfdcs.ducha", leader=leader, team=tuple(team),
        places=tuple(c.key for c in places), place_notes="、".join(program.sites), focus=program.focus,
        planned_on=min(p.calendar.add_workdays(starts_on, -rng.randint(3, 6)), p.calendar.add_workdays(p.end, -1)),
        starts_on=starts_on, ends_on=ends_on,
        requires_recheck=requires_recheck, visits=tuple(visits))
    p.inspections.append(inspection)
    for visit in [v for v in visits if v.unit.startswith("county:")]:
        for short, detail, requirement, dept in rng.sample(program.findings, rng.choice([1, 2, 2, 3, 3])):
            if f"{p.name(visit.unit)}整改：{short}" in p.titles:
                continue
            _finding(p, inspection, visit, short, detail.format(n=rng.randint(3, 9), m=rng.randint(1, 3)),
                     requirement, dept)


def _workdays(p, first: dt.date, last: dt.date) -> list[dt.date]:
    days, day = [], first
    while day <= last:
        if p.calendar.is_workday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _finding(p, inspection: PlannedInspection, visit: PlannedVisit, short: str, detail: str, requirement: str,
             dept: str) -> None:
    rng = p.rng
    lead = (visit.unit,)
    supervisors = [u for u in inspection.team if u.startswith("zfdcs.")]
    members = [u for u in inspection.team if u in INSPECTORS]
    recorder = rng.choice(supervisors + members)
    by_member = recorder in INSPECTORS
    issue_after = rng.choice([0, 1, 1, 2]) if by_member else 0
    supervisor = inspection.creator if by_member else recorder
    issued_on = p.calendar.add_workdays(visit.day, issue_after) if issue_after else visit.day
    fate = p.fate(lead, DecisionKind.INSPECTION, cascade_pool=p.cascade_pool(lead, (dept,)), cascade_odds=0.3)
    fate = replace(fate, returned_to="")  # a rectification stays with the unit the team found it at
    deadline = p.calendar.add_workdays(issued_on, rng.randint(25, 45)) if rng.random() < 0.5 else None
    finding = PlannedFinding(inspection=inspection.key, visit=visit.key, recorded_on=visit.day, text=f"{short}\n{detail}",
                             requirement=requirement, recorder=recorder, issue_after=issue_after,
                             rechecker=rng.choice(members or supervisors))
    p.task_at(inspection.key, issued_on, supervisor, f"{p.name(visit.unit)}整改：{short}", "整改", lead, (),
              deadline=deadline, fate=fate, requirements=f"{short}。{detail}\n\n整改要求：{requirement}",
              finding=finding)
