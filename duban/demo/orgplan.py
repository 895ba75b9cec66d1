"""The 示范州's units and people, planned without touching the database.

Keys name units in the plan: "province", "pref", "pref:fgw", "county:qingshan",
"dept:qingshan:fgj", "town:qingshan:qingshui".
"""

import random
from dataclasses import dataclass

from duban.demo.names import (
    COUNTIES,
    COUNTY_DEPARTMENTS,
    PREFECTURE_DEPARTMENTS,
    SEAT_STREETS,
    TOWN_HEADS,
    TOWN_TAILS,
    full_name,
)
from duban.org.models import Role, UnitLevel


@dataclass(frozen=True)
class PlannedUnit:
    key: str
    name: str
    level: str
    parent: str | None
    short_name: str = ""
    aliases: tuple[str, ...] = ()
    # the prefix of its people's login names
    login: str = ""
    head_title: str = ""
    # a county department: the prefecture department it answers to
    line: str = ""


@dataclass(frozen=True)
class PlannedPerson:
    username: str
    full_name: str
    unit: str
    roles: tuple[str, ...]
    title: str


@dataclass(frozen=True)
class OrgPlan:
    units: tuple[PlannedUnit, ...]
    people: tuple[PlannedPerson, ...]

    def of_level(self, level: str) -> list[PlannedUnit]:
        return [u for u in self.units if u.level == level]

    def children(self, parent: str, level: str | None = None) -> list[PlannedUnit]:
        return [u for u in self.units if u.parent == parent and (level is None or u.level == level)]


PREFECTURE_STAFF = [
    # (login, title, role)
    ("zhou.zhouzhang", "州长", Role.LEADER),
    ("zhou.fuzhouzhang", "副州长", Role.LEADER),
    ("zhou.mishuzhang", "州委秘书长", Role.LEADER),
    ("zwdcs.ducha", "州委督查室主任", Role.SUPERVISOR),
    ("zfdcs.ducha", "州政府督查室主任", Role.SUPERVISOR),
    ("zfdcs.ducha2", "州政府督查室督查员", Role.SUPERVISOR),
    ("zhou.duchazu1", "州政府督查组成员", Role.INSPECTOR),
    ("zhou.duchazu2", "州政府督查组成员", Role.INSPECTOR),
    ("zhou.xitong", "系统管理员", Role.SYSADMIN),
    ("zhou.anquan", "安全管理员", Role.SECADMIN),
    ("zhou.shenji", "审计管理员", Role.AUDITOR),
]


def plan_units(rng: random.Random) -> list[PlannedUnit]:
    units = [
        PlannedUnit("province", "示范省", UnitLevel.PROVINCE, None),
        PlannedUnit("pref", "示范州", UnitLevel.PREFECTURE, "province", login="zhou"),
    ]
    for code, name, short, aliases, head_title in PREFECTURE_DEPARTMENTS:
        units.append(PlannedUnit(f"pref:{code}", name, UnitLevel.DEPARTMENT, "pref", short, aliases, code,
                                 head_title))
    for code, county in COUNTIES:
        key = f"county:{code}"
        head_title = "市长" if county.endswith("市") else "县长"
        units.append(PlannedUnit(key, county, UnitLevel.COUNTY, "pref", login=code, head_title=head_title))
        units += _county_departments(rng, code, county, key)
        units += _townships(rng, code, county, key)
    return units


def _county_departments(rng, code: str, county: str, parent: str) -> list[PlannedUnit]:
    # Every county has its 发改局 and 财政局; two more of the others, by county.
    fixed, others = COUNTY_DEPARTMENTS[:2], COUNTY_DEPARTMENTS[2:]
    chosen = fixed + sorted(rng.sample(others, 2), key=COUNTY_DEPARTMENTS.index)
    return [
        PlannedUnit(f"dept:{code}:{dcode}", f"{county}{name}", UnitLevel.DEPARTMENT, parent,
                    f"{county}{short}" if short else "", login=f"{code}.{dcode}", head_title="局长", line=line)
        for dcode, name, short, line in chosen
    ]


def _townships(rng, code: str, county: str, parent: str) -> list[PlannedUnit]:
    streets = SEAT_STREETS[: rng.choice([1, 2])]
    towns: list[tuple[str, str]] = list(streets)
    seen = {py for _, py in towns}
    target = rng.choice([12, 13])
    while len(towns) < target:
        (head, hpy), (tail, tpy) = rng.choice(TOWN_HEADS), rng.choice(TOWN_TAILS)
        if hpy + tpy in seen or county.startswith(head + tail):
            continue
        seen.add(hpy + tpy)
        towns.append((head + tail + rng.choice("镇镇镇乡"), hpy + tpy))
    units = []
    for name, py in towns:
        head_title = "主任" if name.endswith("街道") else name[-1] + "长"
        units.append(PlannedUnit(f"town:{code}:{py}", f"{county}{name}", UnitLevel.TOWNSHIP, parent,
                                 login=f"{code}.{py}", head_title=head_title))
    return units


def plan_people(rng: random.Random, units: list[PlannedUnit]) -> list[PlannedPerson]:
    people = [PlannedPerson(login, full_name(rng), "pref", (role,), title)
              for login, title, role in PREFECTURE_STAFF]
    for unit in units:
        if unit.level in (UnitLevel.PROVINCE, UnitLevel.PREFECTURE):
            continue
        if unit.level == UnitLevel.COUNTY:
            kind = unit.name[-1]  # 县 or 市
            people += [
                PlannedPerson(f"{unit.login}.lianluo", full_name(rng), unit.key, (Role.LIAISON,), f"{kind}政府办联络员"),
                PlannedPerson(f"{unit.login}.fuze", full_name(rng), unit.key, (Role.UNIT_HEAD,), f"{kind}政府办主任"),
                PlannedPerson(f"{unit.login}.ducha", full_name(rng), unit.key, (Role.SUPERVISOR,),
                              f"{kind}委督查室督查员"),
                PlannedPerson(f"{unit.login}.lingdao", full_name(rng), unit.key, (Role.LEADER,), unit.head_title),
            ]
            continue
        people += [
            PlannedPerson(f"{unit.login}.lianluo", full_name(rng), unit.key, (Role.LIAISON,), "联络员"),
            PlannedPerson(f"{unit.login}.fuze", full_name(rng), unit.key, (Role.UNIT_HEAD,), unit.head_title),
        ]
    return people


def plan_org(rng: random.Random) -> OrgPlan:
    units = plan_units(rng)
    return OrgPlan(tuple(units), tuple(plan_people(rng, units)))
