"""Backups of everything the app keeps: the database and the files under VAR_DIR (export files,
product images). PostgreSQL is dumped with pg_dump's custom format and restored with pg_restore;
SQLite is copied with its online backup API, which gives a consistent copy while the app runs.

A backup is a folder: `database.dump` or `database.sqlite3`, and `files.tar.gz`.
"""

import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

FILE_FOLDERS = ("exports", "media")


def _postgres_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGDATABASE": db["NAME"], "PGUSER": db["USER"] or "", "PGHOST": db["HOST"] or ""}
    if db["PORT"]:
        env["PGPORT"] = str(db["PORT"])
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def back_up(destination: Path) -> Path:
    """Writes a new backup folder under `destination` and returns it."""
    folder = destination / f"crm-{timezone.now():%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True)
    if connection.vendor == "postgresql":
        dump = ["pg_dump", "--format=custom", "--file", str(folder / "database.dump")]
        subprocess.run(dump, env=_postgres_env(), check=True)
    else:
        connection.ensure_connection()
        with sqlite3.connect(folder / "database.sqlite3") as copy:
            connection.connection.backup(copy)
    with tarfile.open(folder / "files.tar.gz", "w:gz") as archive:
        for name in FILE_FOLDERS:
            if (settings.VAR_DIR / name).is_dir():
                archive.add(settings.VAR_DIR / name, arcname=name)
    return folder


def restore(folder: Path) -> None:
    """Puts the database and the files of a backup folder back, replacing what is there."""
    restore_database(folder)
    restore_files(folder)


def restore_database(folder: Path, *, name: str | None = None) -> None:
    """The backup's database into this one, or on PostgreSQL into the database called `name`."""
    if connection.vendor == "postgresql":
        command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname"]
        target = name or connection.settings_dict["NAME"]
        subprocess.run([*command, target, str(folder / "database.dump")], env=_postgres_env(), check=True)
    else:
        connection.ensure_connection()
        with sqlite3.connect(folder / "database.sqlite3") as copy:
            copy.backup(connection.connection)


def restore_files(folder: Path) -> None:
    with tarfile.open(folder / "files.tar.gz") as archive:
        for name in FILE_FOLDERS:
            shutil.rmtree(settings.VAR_DIR / name, ignore_errors=True)
        archive.extractall(settings.VAR_DIR, filter="data")
