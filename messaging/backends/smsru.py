"""SMS.ru (https://sms.ru/api), a gateway widely used in Russia, over its public HTTP API:
`sms/send` with the sender name, `sms/status` for delivery, `my/balance`, and the status
callback it posts to the URL set in its panel (`messaging:smsru_callback`, with our secret in
the path, since SMS.ru signs nothing).

SMS.ru cannot be asked about a message by our own key, so a send interrupted after the request
left (a timeout) is reported as unknown, never sent again.
"""

import json
import logging
from decimal import Decimal, InvalidOperation
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings

from messaging.backends import Sent, SmsBackend, SmsError, SmsUnknown

logger = logging.getLogger(__name__)

OK = 100
# sms/status codes: what each means for our message.
QUEUED, TO_OPERATOR, IN_TRANSIT, DELIVERED = 100, 101, 102, 103
FAILED = {104, 105, 106, 107, 108, 150}  # expired, deleted, phone failure, unknown, rejected, no route
# sms/send errors worth trying again later: the gateway's own trouble, not the message's.
TEMPORARY = {220, 500, 501, 502, 503, 504}


class SmsRuBackend(SmsBackend):
    """The service's SMS.ru account (settings), or a company's own (`api_id`, `sender`)."""

    def __init__(self, *, api_id: str | None = None, sender: str | None = None):
        self.url = settings.SMSRU_URL.rstrip("/")
        self.api_id = settings.SMSRU_API_ID if api_id is None else api_id
        self.sender = settings.SMSRU_SENDER if sender is None else sender
        self.timeout = settings.SMSRU_TIMEOUT

    def _call(self, method: str, **params) -> dict:
        data = urlencode({"api_id": self.api_id, "json": 1, **params}).encode()
        request = Request(f"{self.url}/{method}", data=data, method="POST")
        try:
            with urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except TimeoutError as error:
            raise SmsUnknown(f"SMS.ru did not answer in {self.timeout} s") from error
        except HTTPError as error:
            raise SmsError(f"SMS.ru answered HTTP {error.code}", temporary=error.code >= 500) from error
        except URLError as error:  # refused, no route, name not resolved: the request never left
            raise SmsError(f"SMS.ru cannot be reached: {error.reason}", temporary=True) from error
        try:
            return json.loads(body)
        except ValueError as error:
            raise SmsError("SMS.ru answered something that is not JSON", temporary=True) from error

    def send(self, *, to: str, text: str, key: str, sender: str = "") -> Sent:
        number = to.lstrip("+")
        params = {"to": number, "msg": text}
        if self.sender or sender:
            params["from"] = self.sender or sender
        answer = self._call("sms/send", **params)
        result = (answer.get("sms") or {}).get(number) or answer
        if answer.get("status") != "OK" or result.get("status") != "OK":
            code = int(result.get("status_code") or answer.get("status_code") or 0)
            text = result.get("status_text") or answer.get("status_text") or ""
            raise SmsError(f"SMS.ru {code}: {text}".strip(": "), temporary=code in TEMPORARY)
        return Sent(provider_id=str(result["sms_id"]))

    def delivery(self, provider_id: str) -> str | None:
        """ "delivered", "failed", or None while it is still on its way."""
        answer = self._call("sms/status", sms_id=provider_id)
        code = int(((answer.get("sms") or {}).get(provider_id) or {}).get("status_code") or 0)
        return status_for(code)

    def balance(self) -> Decimal:
        answer = self._call("my/balance")
        try:
            return Decimal(str(answer["balance"]))
        except (KeyError, InvalidOperation) as error:
            raise SmsError("SMS.ru did not say the balance") from error


def status_for(code: int) -> str | None:
    if code == DELIVERED:
        return "delivered"
    if code in FAILED:
        return "failed"
    return None
