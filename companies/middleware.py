from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled
from django_scopes.state import state as scope_state

from companies.queries import memberships_of

SESSION_KEY = "company_id"


@contextmanager
def no_tenant_scope():
    """Closes whatever scope is open: inside, every tenant query raises ScopeError."""
    token = scope_state.set({})
    try:
        yield
    finally:
        scope_state.reset(token)


class CompanyMiddleware:
    """Resolves the signed-in user's current company and opens its scope for the whole request.

    Inside the request every scoped query is filtered to `request.company`; a request without a
    company (anonymous pages) runs with no scope open, so a tenant query there raises instead of
    leaking. The Django admin is the one place that works across companies on purpose.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.company = None
        request.membership = None
        request.memberships = []
        user = request.user
        if user.is_authenticated:
            request.memberships = memberships_of(user)
            wanted = request.session.get(SESSION_KEY)
            current = next((m for m in request.memberships if m.company_id == wanted), None)
            if current is None and request.memberships:
                current = request.memberships[0]
            if current is not None:
                request.membership = current
                request.company = current.company
                # Dates and times show, and date filters cut days, in the company's time zone.
                timezone.activate(ZoneInfo(request.company.time_zone))
            language = user.language or (request.company.language if request.company else None)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language

        try:
            return self._respond(request)
        finally:
            timezone.deactivate()

    def _respond(self, request):
        if request.path.startswith("/admin/"):
            # Portal admins manage every company from the Django admin.
            with scopes_disabled():
                return self.get_response(request)
        if request.company is None:
            # No company scope at all (django-scopes reads scope(company=None) as "every company"),
            # even when the caller had one open: a tenant query here raises.
            with no_tenant_scope():
                return self.get_response(request)
        with scope(company=request.company):
            return self.get_response(request)
