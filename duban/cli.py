"""The `duban` command: Django's management commands under one name.

`duban serve`, `duban worker`, `duban demo`, `duban sweep`, `duban calendar`
and `duban audit verify` are management commands of the duban apps; every
other Django command (`duban migrate`, `duban createsuperuser`, …) works too.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["duban", *args])


if __name__ == "__main__":
    main()
