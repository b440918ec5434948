from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from companies.backup import restore


class Command(BaseCommand):
    help = "Replaces the database and the files under VAR_DIR with those of a backup folder (make restore)."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--yes", action="store_true", help="Do not ask before replacing everything.")

    def handle(self, *args, folder, yes, **options):
        if not any((folder / name).exists() for name in ("database.dump", "database.sqlite3")):
            raise CommandError(f"{folder} holds no backup (no database.dump or database.sqlite3 in it)")
        if not yes and input(f"Replace the current data with the backup in {folder}? [y/N] ").strip().lower() != "y":
            raise CommandError("Nothing was restored.")
        restore(folder)
        self.stdout.write(self.style.SUCCESS(f"Restored from {folder}"))
