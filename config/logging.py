"""Log filters that keep a development console readable."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Keeps the one-line warning Django logs for a 4xx answer but drops its traceback.

    A 403 for a manager who opened an owners' page, or a 404 for a stale link, is routine: the
    traceback of the PermissionDenied or Http404 raised on purpose says nothing about a fault.
    Server errors (5xx) keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
