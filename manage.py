#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    from core.request_context import bind_system_actor

    # Anything a command writes (shell sessions and Django's own commands included) is recorded as
    # done by "system: <command>"; requests served by runserver bind their own user.
    with bind_system_actor(sys.argv[1] if len(sys.argv) > 1 else "manage.py"):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
