import redis
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit.services import Action, record
from companies.decorators import company_view, require_admin
from companies.formats import format_rate
from companies.forms import ExchangeRateForm, LanguageForm
from companies.middleware import SESSION_KEY
from companies.models import ExchangeRate
from companies.queries import currency_needing_rate
from companies.services import delete_exchange_rate, set_exchange_rate, set_user_language
from companies.throttle import count_in_window


@require_POST
@login_required
def switch_company(request):
    try:
        company_id = int(request.POST.get("company", ""))
    except ValueError:
        raise Http404 from None
    membership = next((m for m in request.memberships if m.company_id == company_id), None)
    if membership is None:
        raise Http404
    request.session[SESSION_KEY] = membership.company_id
    record(membership.company, actor=request.user, action=Action.COMPANY_SWITCHED)
    messages.success(request, _("You are now working in %(company)s.") % {"company": membership.company})
    return redirect("dashboard:home")


@require_POST
@login_required
def set_language(request):
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown language."))
    else:
        set_user_language(request.user, language=form.cleaned_data["language"])
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("dashboard:home")
    return HttpResponseRedirect(next_url)


@require_GET
def healthz(request):
    """200 when the database (and the Celery broker, when one is configured) answers, else 503."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure to reach the database is a failed check
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        checks["broker"] = _check_redis(settings.REDIS_URL)
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def _check_redis(url: str) -> str:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        return "ok"
    except redis.RedisError as exc:
        return f"error: {exc.__class__.__name__}"


@company_view()
def exchange_rates(request):
    form = ExchangeRateForm(request.POST or None, initial={"currency": currency_needing_rate(request.company)})
    if request.method == "POST":
        require_admin(request)
        if form.is_valid():
            try:
                rate = set_exchange_rate(request.company, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                base = request.company.base_currency
                shown = {"currency": rate.currency, "rate": format_rate(rate.rate), "base": base}
                messages.success(request, _("Rate saved: 1 %(currency)s = %(rate)s %(base)s.") % shown)
                return redirect("companies:rates")
    rates = ExchangeRate.objects.filter(company=request.company).select_related("updated_by")
    return render(request, "companies/rates.html", {"form": form, "rates": rates})


@require_POST
@company_view(admin=True)
def exchange_rate_delete(request, pk):
    rate = get_object_or_404(ExchangeRate, pk=pk)
    delete_exchange_rate(request.company, exchange_rate=rate, actor=request.user)
    messages.success(request, _("The %(currency)s rate is deleted.") % {"currency": rate.currency})
    return redirect("companies:rates")


# Sign-in and password-reset throttling ------------------------------------------------------------


def sign_in_email(request, credentials=None) -> str:
    """The email a sign-in attempt names, as the throttle counts it (the forms call it username)."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(value).strip().lower()


def signed_in_too_often(request, original_response=None, credentials=None):
    """What django-axes answers once an email or a client address has too many wrong passwords."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """At most PASSWORD_RESETS_PER_HOUR reset emails per client address and per email address, so
    the form can be used neither to flood someone's mailbox nor to probe many addresses."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        keys = [f"password-reset:ip:{self.request.META.get('REMOTE_ADDR', '')}", f"password-reset:email:{email}"]
        if any(count_in_window(key, seconds=3600)[0] > settings.PASSWORD_RESETS_PER_HOUR for key in keys):
            form.add_error("email", _("Too many password reset requests; try again in an hour."))
            return self.form_invalid(form)
        return super().form_valid(form)


class UnlockingPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the emailed link proves the mailbox: the sign-in wait of
    that email is lifted (a wait of the client address stays)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.email)
        return response
