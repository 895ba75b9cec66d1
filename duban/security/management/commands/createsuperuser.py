"""`duban createsuperuser` refuses: a superuser holds every power at once, which 三员分立 forbids."""

from django.core.management.base import BaseCommand, CommandError

MESSAGE = ("督办不使用超级用户：系统管理员、安全管理员、审计管理员须由不同人员担任（三员分立）。"
           "请改用 duban admin-create --username 登录名 --role sysadmin|secadmin|auditor 创建管理员。")


class Command(BaseCommand):
    help = "Refused: create the administrators with `duban admin-create` (三员分立)."

    def add_arguments(self, parser):
        # Accept Django's own options so that the refusal, not an argument error, is what one reads.
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")
        parser.add_argument("--database")

    def handle(self, *args, **options):
        raise CommandError(MESSAGE)
