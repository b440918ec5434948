from django.conf import settings
from django.http import QueryDict

from companies.text import clean_text


class ContentSecurityPolicyMiddleware:
    """Pages load scripts, styles and fonts from this site only (everything is vendored)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class PrivateResponsesMiddleware:
    """What a signed-in user is shown carries customer data: no shared or browser cache keeps it
    (exports downloads, cards, lists), unless a view says otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response


class CleanTextMiddleware:
    """Every query-string and form value reaches views, forms and filters normalized by
    companies.text.clean_text (line breaks kept: a note has them; a one-line input cannot send
    them from the page). Uploaded files are left as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = _cleaned(request.GET)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            request.POST = _cleaned(request.POST)
        return self.get_response(request)


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _cleaned(data: QueryDict) -> QueryDict:
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(clean_text(key), [clean_text(value) for value in values])
    cleaned._mutable = False
    return cleaned
