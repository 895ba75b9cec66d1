"""Serve duban with gunicorn (a production WSGI server), optionally with a worker beside it."""

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the product with gunicorn; --with-worker also runs `duban worker` beside it."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("DUBAN_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("DUBAN_WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=None,
                            help="threads per web worker (default: 1 on SQLite, 4 on PostgreSQL)")
        parser.add_argument("--with-worker", action="store_true", help="start one background worker too")

    def handle(self, *args, **options):
        call_command("collectstatic", interactive=False, verbosity=0)
        worker = None
        if options["with_worker"]:
            worker = subprocess.Popen([sys.executable, "-m", "duban.cli", "worker"])
            self.stdout.write(f"后台工作进程已启动 (pid {worker.pid})")
        is_sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        self.stdout.write(f"督办已启动：http://{options['bind']}/")
        threads = options["threads"] or (1 if is_sqlite else 4)
        cmd = [
            sys.executable, "-m", "gunicorn", "duban.config.wsgi:application",
            "--bind", options["bind"],
            "--workers", str(options["workers"]),
            "--threads", str(threads),
            "--access-logfile", "-",
            "--timeout", "120",
            "--no-control-socket",
        ]
        server = subprocess.Popen(cmd)
        children = [p for p in (server, worker) if p is not None]

        def stop(signum, frame):
            # A service manager stops us with SIGTERM: pass it on, so that no server outlives us.
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            server.wait()
        finally:
            stop(signal.SIGTERM, None)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
