"""duban bulletin --scope UNIT --period 2026-11 --format docx|pdf [--out FILE] [--as USERNAME]"""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from duban.bulletins.periods import period_parse
from duban.bulletins.services import bulletin_generate
from duban.core.errors import DomainError
from duban.org.models import Role, Unit, User


def _unit(text: str) -> Unit:
    units = Unit.objects.filter(is_active=True)
    if text.isdigit():
        found = list(units.filter(pk=int(text)))
    else:
        found = list(units.filter(Q(name=text) | Q(short_name=text)))
        if not found:
            found = [u for u in units.filter(aliases__icontains=text) if text in u.aliases]
    if not found:
        raise CommandError(f"找不到单位“{text}”。")
    if len(found) > 1:
        names = "、".join(f"{u.name}（编号 {u.pk}）" for u in found[:5])
        raise CommandError(f"“{text}”对应多个单位：{names}；请用单位编号。")
    return found[0]


def _person(username: str | None, scope: Unit) -> User:
    if username:
        try:
            return User.objects.select_related("unit").get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"找不到启用的用户“{username}”。") from None
    # Without --as: a supervisor of the scope unit, or of the nearest unit above it.
    ancestors = [int(p) for p in scope.path.strip("/").split("/") if p]
    for unit_id in reversed(ancestors):
        person = (User.objects.select_related("unit")
                  .filter(unit_id=unit_id, is_active=True, role_grants__role=Role.SUPERVISOR)
                  .order_by("pk").first())
        if person is not None:
            return person
    raise CommandError("该单位及其上级单位没有督查员，请用 --as 指定生成人。")


class Command(BaseCommand):
    help = "Generate a supervision bulletin (督查通报) as .docx or PDF for a unit's subtree and a period."

    def add_arguments(self, parser):
        parser.add_argument("--scope", required=True, help="unit id, name, short name or alias")
        parser.add_argument("--period", help="a month (2026-11) or a range (2026-11-01..2026-11-15)")
        parser.add_argument("--from", dest="start", type=dt.date.fromisoformat, help="first day (with --to)")
        parser.add_argument("--to", dest="end", type=dt.date.fromisoformat, help="last day (with --from)")
        parser.add_argument("--format", choices=["docx", "pdf"], default="docx")
        parser.add_argument("--out", help="also write the file here")
        parser.add_argument("--as", dest="username", help="generate as this person (default: a supervisor of "
                                                         "the scope unit or the nearest unit above it)")
        parser.add_argument("--doc-number", default="", help="文号, e.g. 州督通〔2026〕11号")

    def handle(self, *args, **options):
        scope = _unit(options["scope"].strip())
        actor = _person(options["username"], scope)
        try:
            period = period_parse(options["period"], start=options["start"], end=options["end"])
            formats = ("docx", "pdf") if options["format"] == "pdf" else ("docx",)
            bulletin = bulletin_generate(actor=actor, scope_unit=scope, period=period, formats=formats,
                                         masthead={"doc_number": options["doc_number"]})
        except DomainError as error:
            raise CommandError(error.message) from None
        field = bulletin.pdf if options["format"] == "pdf" else bulletin.docx
        self.stdout.write(f"已生成：{bulletin.title}（第{bulletin.version}版，编号 {bulletin.pk}）")
        self.stdout.write(f"存储：{field.path}")
        if options["out"]:
            out = Path(options["out"])
            out.parent.mkdir(parents=True, exist_ok=True)
            with field.open("rb") as handle:
                out.write_bytes(handle.read())
            self.stdout.write(f"已写入：{out}")
