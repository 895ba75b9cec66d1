import sys

from django.core.management.base import BaseCommand, CommandError

from duban.audit.chain import chain_verify


class Command(BaseCommand):
    help = "Audit trail tools. `duban audit verify` checks the hash chain and names the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
        verdict = chain_verify()
        if verdict.ok:
            self.stdout.write(f"留痕链完整：共校验 {verdict.checked} 条记录。")
            return
        self.stdout.write(
            f"留痕链断裂：第 {verdict.broken_seq} 号记录（id={verdict.broken_id}）不符 — {verdict.reason}。"
            f"此前 {verdict.checked} 条记录完好。"
        )
        sys.stdout.flush()
        raise CommandError(f"audit chain broken at seq {verdict.broken_seq}")
