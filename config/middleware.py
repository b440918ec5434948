from django.conf import settings


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
