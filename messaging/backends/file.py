"""The embedded default: each SMS is a file under var/sms/, named by its idempotency key, so that
`make run` works offline and a message sent twice is still one file."""

from pathlib import Path

from django.conf import settings
from django.utils import timezone

from messaging.backends import Sent, SmsBackend


class FileSmsBackend(SmsBackend):
    can_look_up = True

    def send(self, *, to: str, text: str, key: str, sender: str = "") -> Sent:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key}.txt"
        if not path.exists():
            stamp = timezone.now().isoformat(timespec="seconds")
            body = f"To: {to}\nFrom: {sender}\nDate: {stamp}\nKey: {key}\n\n{text}\n"
            partial = path.with_suffix(".part")
            partial.write_text(body, encoding="utf-8")
            partial.replace(path)  # whole or not at all
        return Sent(provider_id=path.name, delivered=True)

    def lookup(self, key: str) -> Sent | None:
        path = Path(settings.SMS_FILE_PATH) / f"{key}.txt"
        return Sent(provider_id=path.name, delivered=True) if path.exists() else None
