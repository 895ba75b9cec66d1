"""A small named cast for tests and examples, built through the real services.

州委督查室的督查员 (prefecture supervisor), a leader, 县 A (甲县) with its 督查室,
its 发改局 and a township, and an outsider county (乙县) that sees nothing of 甲县.
"""

from dataclasses import dataclass

from duban.org.models import Role, Unit, UnitLevel, User
from duban.org.services import person_create, unit_create

PASSWORD = "Duban-Test-2026"


@dataclass
class Cast:
    province: Unit
    prefecture: Unit
    pref_drc: Unit  # 州发展和改革委员会
    pref_finance: Unit  # 州财政局
    county: Unit  # 甲县
    county_drc: Unit  # 甲县发展和改革局
    township: Unit  # 甲县城关镇
    other_county: Unit  # 乙县
    other_drc: Unit  # 乙县发展和改革局
    supervisor: User  # 州委督查室 督查员
    leader: User  # 州领导
    drc_liaison: User
    drc_head: User
    finance_liaison: User
    finance_head: User
    county_supervisor: User
    county_liaison: User
    county_head: User
    county_drc_liaison: User
    county_drc_head: User
    other_supervisor: User
    other_liaison: User
    inspector: User  # 督查组成员 of 州委督查室
    sysadmin: User


def build_cast() -> Cast:
    u = {}
    u["province"] = unit_create(actor=None, name="示范省", level=UnitLevel.PROVINCE)
    u["prefecture"] = unit_create(actor=None, name="示范州", level=UnitLevel.PREFECTURE, parent=u["province"])
    u["pref_drc"] = unit_create(actor=None, name="州发展和改革委员会", short_name="州发改委",
                                aliases=["发改委", "发展改革委"], level=UnitLevel.DEPARTMENT, parent=u["prefecture"])
    u["pref_finance"] = unit_create(actor=None, name="州财政局", level=UnitLevel.DEPARTMENT, parent=u["prefecture"])
    u["county"] = unit_create(actor=None, name="甲县", level=UnitLevel.COUNTY, parent=u["prefecture"])
    u["county_drc"] = unit_create(actor=None, name="甲县发展和改革局", short_name="甲县发改局",
                                  level=UnitLevel.DEPARTMENT, parent=u["county"])
    u["township"] = unit_create(actor=None, name="甲县城关镇", level=UnitLevel.TOWNSHIP, parent=u["county"])
    u["other_county"] = unit_create(actor=None, name="乙县", level=UnitLevel.COUNTY, parent=u["prefecture"])
    u["other_drc"] = unit_create(actor=None, name="乙县发展和改革局", level=UnitLevel.DEPARTMENT,
                                 parent=u["other_county"])

    def person(username, name, unit, *roles):
        return person_create(actor=None, username=username, full_name=name, unit=unit, roles=list(roles),
                             password=PASSWORD, check_password=False)

    p = {
        "supervisor": person("zhou.duchaban", "周督查", u["prefecture"], Role.SUPERVISOR),
        "leader": person("li.lingdao", "李州长", u["prefecture"], Role.LEADER),
        "drc_liaison": person("fgw.lianluo", "王联络", u["pref_drc"], Role.LIAISON),
        "drc_head": person("fgw.fuze", "赵主任", u["pref_drc"], Role.UNIT_HEAD),
        "finance_liaison": person("czj.lianluo", "钱联络", u["pref_finance"], Role.LIAISON),
        "finance_head": person("czj.fuze", "孙局长", u["pref_finance"], Role.UNIT_HEAD),
        "county_supervisor": person("jx.duchaban", "吴督查", u["county"], Role.SUPERVISOR),
        "county_liaison": person("jx.lianluo", "郑联络", u["county"], Role.LIAISON),
        "county_head": person("jx.fuze", "冯县长", u["county"], Role.UNIT_HEAD),
        "county_drc_liaison": person("jxfgj.lianluo", "陈联络", u["county_drc"], Role.LIAISON),
        "county_drc_head": person("jxfgj.fuze", "褚局长", u["county_drc"], Role.UNIT_HEAD),
        "other_supervisor": person("yx.duchaban", "卫督查", u["other_county"], Role.SUPERVISOR),
        "other_liaison": person("yxfgj.lianluo", "蒋联络", u["other_drc"], Role.LIAISON),
        "inspector": person("ducha.zuyuan", "韩组员", u["prefecture"], Role.INSPECTOR),
        "sysadmin": person("xitong.admin", "沈管理", u["prefecture"], Role.SYSADMIN),
    }
    return Cast(**u, **p)
