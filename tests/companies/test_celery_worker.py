"""The Celery wiring, end to end: a real worker process consuming from the real Redis broker."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from companies.tasks import send_email
from config.celery import app

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL and not os.environ.get("CI"), reason="needs REDIS_URL (CI always sets it)"
)


@pytest.fixture
def worker(tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "VAR_DIR": str(tmp_path), "SECRET_KEY": "worker-test", "DEBUG": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue, "--loglevel=WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
    )
    app.conf.task_always_eager = False
    try:
        yield queue, tmp_path / "mail"
    finally:
        app.conf.task_always_eager = True
        process.terminate()
        process.wait(timeout=20)


def test_a_worker_on_redis_sends_the_email_task(worker):
    assert settings.REDIS_URL, "CI must provide REDIS_URL"
    queue, mail_dir = worker
    marker = uuid.uuid4().hex
    send_email.apply_async(kwargs={"subject": "Hello", "body": marker, "to": ["a@example.com"]}, queue=queue)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        files = list(Path(mail_dir).glob("*.log")) if Path(mail_dir).exists() else []
        if any(marker in file.read_text() for file in files):
            return
        time.sleep(0.2)
    pytest.fail("the worker did not send the email within 60 s")
