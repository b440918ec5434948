from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from companies.backup import back_up


class Command(BaseCommand):
    help = "Backs up the database and the files under VAR_DIR into a new folder (make backup)."

    def add_arguments(self, parser):
        parser.add_argument("--to", type=Path, default=None, help="Where the backup folder goes (VAR_DIR/backups).")

    def handle(self, *args, to, **options):
        folder = back_up(to or settings.VAR_DIR / "backups")
        self.stdout.write(self.style.SUCCESS(f"Backed up to {folder}"))
