"""What a demo build reports: counts and one login per role."""

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class DemoSummary:
    units: int = 0
    people: int = 0
    decisions: int = 0
    tasks: int = 0
    assignments: int = 0
    reports: int = 0
    clues: int = 0
    clues_waiting: int = 0  # in the triage queue
    inspections: int = 0
    findings: int = 0
    seconds: float = 0.0
    password: str = ""
    end: dt.date | None = None  # the last day of the history replayed
    # (role label, username, unit name)
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def describe(self) -> str:
        lines = [
            f"演示数据已生成：单位 {self.units} 个，人员 {self.people} 人，决策部署 {self.decisions} 项，"
            f"督办事项 {self.tasks} 项，承办 {self.assignments} 条，进展反馈 {self.reports} 条，"
            f"群众线索 {self.clues} 条（待分办 {self.clues_waiting} 条），实地督查 {self.inspections} 次"
            f"（发现问题 {self.findings} 个），用时 {self.seconds:.1f} 秒。",
        ]
        if self.logins:
            lines.append(f"演示账号（密码均为 {self.password}）：")
            lines.append(f"  {'角色':<10}{'登录名':<22}单位")
            for role, username, unit in self.logins:
                lines.append(f"  {role:<10}{username:<22}{unit}")
        return "\n".join(lines)
