"""duban voice index: index again, for similar-clue suggestions, every clue and every open task (an upgrade, an
import, a change of duban.voice.similar.SCHEME). Submissions and task edits keep the index current after that."""

import time

from django.core.management.base import BaseCommand

from duban.voice.store import index_rebuild


class Command(BaseCommand):
    help = "Rebuild the similar-clue index from every clue and every open task, in one transaction, in batches."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["index"])
        parser.add_argument("--batch", type=int, default=2000, help="rows per batch (default 2000)")

    def handle(self, *args, **options):
        names = {"clue": "线索", "task": "督办事项"}
        started = time.perf_counter()

        def progress(source: str, done: int) -> None:
            self.stdout.write(f"已索引{names[source]} {done} 条")

        clues, tasks = index_rebuild(batch=options["batch"], progress=progress)
        seconds = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            f"完成：索引线索 {clues} 条、未办结督办事项 {tasks} 项，用时 {seconds:.1f} 秒。"))
