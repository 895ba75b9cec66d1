"""`duban admin-create`: the first administrators of a fresh install (no default account exists).

    duban admin-create --username xitong --role sysadmin --full-name 张三
    printf '%s\n' "$PASSWORD" | duban admin-create --username anquan --role secadmin --password-stdin

The password is read from the terminal twice (never from the command line, where
`ps` and shell history would show it) or from standard input. It must meet the
password policy. The second factor is enrolled at the first sign-in.
"""

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from duban.core.errors import DomainError
from duban.org.models import ADMIN_ROLES, Role, Unit
from duban.org.services import person_create


class Command(BaseCommand):
    help = "Create an administrator (sysadmin, secadmin or auditor); the password is prompted for or read from stdin."
    stealth_options = ("stdin",)

    def execute(self, *args, **options):
        self.stdin = options.get("stdin") or sys.stdin  # call_command(..., stdin=io.StringIO(...)) in tests
        return super().execute(*args, **options)

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True, help="login name")
        parser.add_argument("--role", required=True, choices=sorted(r.value for r in ADMIN_ROLES))
        parser.add_argument("--full-name", default="", help="the person's name (姓名)")
        parser.add_argument("--unit-id", type=int, default=None, help="id of the person's unit, if any")
        parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    def handle(self, *args, **options):
        unit = None
        if options["unit_id"] is not None:
            unit = Unit.objects.filter(pk=options["unit_id"]).first()
            if unit is None:
                raise CommandError(f"找不到编号为 {options['unit_id']} 的单位。")
        password = self._read_password(options["password_stdin"])
        try:
            user = person_create(actor=None, username=options["username"], full_name=options["full_name"],
                                 unit=unit, roles=[options["role"]], password=password)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已创建{Role(options['role']).label}“{user.username}”。")
        self.stdout.write("首次登录时须在页面上绑定动态口令（双因素认证），请准备好手机上的身份验证器。")

    def _read_password(self, from_stdin: bool) -> str:
        if from_stdin:
            password = self.stdin.readline().rstrip("\r\n")
        else:
            if not self.stdin.isatty():
                raise CommandError("没有可交互的终端：请使用 --password-stdin 从标准输入提供密码。")
            password = getpass.getpass("密码：")
            if password != getpass.getpass("再次输入密码："):
                raise CommandError("两次输入的密码不一致。")
        if not password:
            raise CommandError("密码不能为空。")
        return password
