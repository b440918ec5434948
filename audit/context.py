"""What a service cannot be told by its caller's arguments but the audit log wants: the address
of the request it runs in, and whether a bulk operation writes one summary entry instead."""

from contextlib import contextmanager
from contextvars import ContextVar

request_address: ContextVar[str | None] = ContextVar("audit_request_address", default=None)
summarizing: ContextVar[bool] = ContextVar("audit_summarizing", default=False)


@contextmanager
def summarized():
    """Inside, services write no entries of their own: the caller (an import, the demo seed)
    writes one entry for the whole batch."""
    token = summarizing.set(True)
    try:
        yield
    finally:
        summarizing.reset(token)


class AuditAddressMiddleware:
    """Keeps the request's address for the entries its services write. REMOTE_ADDR only, as the
    rate limits read it: behind a proxy, the proxy sets it (a client's X-Forwarded-For is not
    believed)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_address.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            request_address.reset(token)
