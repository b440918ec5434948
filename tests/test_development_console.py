"""What a newcomer sees running the app: links at the address served, and a quiet console."""

import logging
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from config.logging import ClientErrorsWithoutTraceback
from customers.management.commands.seed_demo import Command as SeedDemo

ROOT = Path(__file__).resolve().parents[1]


def test_make_run_links_to_the_port_it_serves(tmp_path):
    """`make run PORT=8101` serves on 8101 and every step that builds links is told so."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    calls = tmp_path / "calls"
    fake_python = venv / "bin" / "python"
    fake_python.write_text(f'#!/bin/sh\necho "SITE_URL=$SITE_URL $*" >> "{calls}"\n')
    fake_python.chmod(0o755)
    (venv / ".installed").touch()  # newer than the requirements: nothing to install
    env = {key: value for key, value in os.environ.items() if key not in {"SITE_URL", "MAKEFLAGS"}}
    subprocess.run(["make", "-s", "run", f"VENV={venv}", "PORT=8101"], cwd=ROOT, env=env, check=True)
    lines = calls.read_text().splitlines()
    assert [line.split()[2] for line in lines] == ["migrate", "seed_demo", "runserver"]
    assert all(line.startswith("SITE_URL=http://127.0.0.1:8101 ") for line in lines), lines
    assert lines[-1].endswith("runserver 127.0.0.1:8101")


def test_the_seed_prints_the_sign_in_at_the_site_address(settings):
    settings.SITE_URL = "http://127.0.0.1:8101"
    out = StringIO()
    SeedDemo(stdout=out)._print_sign_in()
    assert "Sign in at http://127.0.0.1:8101/ with" in out.getvalue()


def test_system_checks_are_quiet_on_the_embedded_database(db):
    out = StringIO()
    call_command("check", "--database", "default", stdout=out, stderr=out)
    assert "W040" not in out.getvalue()
    assert "no issues" in out.getvalue(), f"{connection.vendor}: {out.getvalue()}"


def test_a_routine_403_logs_one_line_without_a_traceback(world, manager_client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = manager_client.get(reverse("exports:list"))
    assert response.status_code == 403
    (record,) = [record for record in caplog.records if record.name == "django.request"]
    assert record.getMessage().startswith("Forbidden") and record.exc_info is None


def test_server_errors_keep_their_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error", (), sys.exc_info()
        )
    record.status_code = 500
    assert ClientErrorsWithoutTraceback().filter(record) and record.exc_info is not None
