import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "crm.example.com",
    "SITE_URL": "https://crm.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def test_check_deploy_is_clean_with_the_documented_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={**os.environ, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_malformed_setting_stops_start_up_with_a_clear_message():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env={**os.environ, **PRODUCTION_ENV, "DEBUG": "maybe"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_pages_send_a_content_security_policy(client, db):
    response = client.get("/login/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


RENDER_SIGN_IN = """
import django
django.setup()
from django.test import Client
response = Client().get("/login/", secure=True, headers={"host": "crm.example.com"})
body = response.content.decode()
assert response.status_code == 200, (response.status_code, body[:2000])
assert "/static/vendor/bootstrap/bootstrap.min." in body and ".css" in body, body[:2000]
print("rendered")
"""


def test_the_production_build_collects_the_static_files_and_renders_the_sign_in(tmp_path):
    """What the Dockerfile builds: collectstatic with the manifest storage (DEBUG off), then a page
    that names hashed files. A reference the manifest cannot resolve (a vendored file's missing
    source map, say) fails collectstatic, and a file left out of it fails the page."""
    env = {
        **os.environ,
        **PRODUCTION_ENV,
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert collect.returncode == 0, collect.stdout[-2000:] + collect.stderr[-4000:]
    assert (tmp_path / "staticfiles" / "staticfiles.json").exists()
    render = subprocess.run(
        [sys.executable, "-c", RENDER_SIGN_IN],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert render.returncode == 0 and "rendered" in render.stdout, render.stdout[-2000:] + render.stderr[-4000:]
