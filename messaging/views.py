import json
import logging

from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from companies.decorators import company_view
from customers.models import Customer
from messaging import push, services, sms
from messaging.backends.smsru import status_for
from messaging.forms import SendForm
from messaging.models import Channel, Message, PushSubscription
from messaging.queries import messages_of
from messaging.texts import templates_of
from quicklinks.models import QuickLink
from quicklinks.views import quicklink_view

logger = logging.getLogger(__name__)
PER_PAGE = 20
PENDING = (Message.Status.CREATED, Message.Status.SENDING)
PREFIX = "message"  # the card has other forms: their fields must not share ids


def _list_context(request, customer: Customer) -> dict:
    page = Paginator(messages_of(request.company, customer), PER_PAGE).get_page(request.GET.get("page"))
    pending = any(message.status in PENDING for message in page.object_list)
    return {"customer": customer, "page": page, "pending": pending}


def _tab(request, customer: Customer, form: SendForm, notice: str = ""):
    subscribed = PushSubscription.objects.filter(company=request.company, customer=customer).exists()
    if not subscribed:
        form.fields["channel"].widget.unavailable = frozenset({Channel.PUSH.value})
    context = {
        "push_off": not subscribed,
        **_list_context(request, customer),
        "form": form,
        "notice": notice,
        "templates": templates_of(request.company),
    }
    return render(request, "messaging/partials/customer_messages.html", context)


@company_view()
def customer_messages(request, pk):
    """The card's Messages tab (htmx): the form to write to the customer and their messages."""
    customer = get_object_or_404(Customer, pk=pk)
    if request.GET.get("part") == "list":  # looking again while messages are on their way
        return render(request, "messaging/partials/message_list.html", _list_context(request, customer))
    return _tab(request, customer, SendForm(prefix=PREFIX))


@require_POST
@company_view()
def send(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    form = SendForm(request.POST, prefix=PREFIX)
    if form.is_valid():
        try:
            services.send_to_customer(
                request.company,
                customer=customer,
                channel=form.cleaned_data["channel"],
                text=form.cleaned_data["text"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)  # a {"text": …} error goes next to the text
        else:
            notice = _("The message is on its way.")
            if request.GET.get("where") == "panel":  # the quick-info panel: a line under its form
                return render(request, "messaging/partials/sent.html", {"notice": notice})
            if not request.htmx:
                flash.success(request, notice)
                return redirect(customer)
            again = SendForm(prefix=PREFIX, initial={"channel": form.cleaned_data["channel"]})
            return _tab(request, customer, again, notice)
    if request.GET.get("where") == "panel":
        return render(request, "messaging/partials/sent.html", {"errors": form.errors.values()})
    if not request.htmx:
        for error in form.errors.values():
            flash.error(request, " ".join(error))
        return redirect(customer)
    return _tab(request, customer, form)  # htmx swaps only 2xx answers: the errors show next to the text


@company_view()
def sms_length(request):
    """Under the text while it is typed (htmx): the SMS parts it takes and what is left in the last."""
    length = sms.measure(request.GET.get(f"{PREFIX}-text", "")[:5000])
    return render(request, "messaging/partials/sms_length.html", {"length": length})


@csrf_exempt
@require_POST
def smsru_callback(request, secret):
    """SMS.ru's delivery reports: `data[]` items of lines "sms_status", its id, the status code.
    It signs nothing, so the URL carries our secret; a wrong one, or an id we never sent, is
    logged and changes nothing. SMS.ru wants "100" back for what it may stop resending."""
    expected = settings.SMSRU_CALLBACK_SECRET
    company_id = services.company_for_callback(secret)  # a company's own SMS.ru account
    if company_id is None and not (expected and constant_time_compare(secret, expected)):
        logger.warning("SMS.ru callback with a wrong secret from %s", request.META.get("REMOTE_ADDR"))
        raise Http404
    for item in request.POST.getlist("data[]")[:1000]:
        lines = item.splitlines()
        if len(lines) < 3 or lines[0] != "sms_status" or not lines[2].strip().lstrip("-").isdigit():
            continue  # SMS.ru also reports other events here (a test call, incoming messages)
        outcome = status_for(int(lines[2]))
        if outcome and not services.record_delivery(lines[1].strip()[:100], outcome, company_id=company_id):
            logger.warning("SMS.ru callback about an SMS we did not send: %s", lines[1][:100])
    return HttpResponse("100", content_type="text/plain")


@csrf_exempt  # mail clients' one-click unsubscribe (RFC 8058) posts without our form
def unsubscribe(request, token):
    """The link in every email: GET asks, POST records the opt-out. Needs no sign-in; a forged or
    stale link says it is not valid."""
    customer = services.customer_for_unsubscribe(token)
    if customer is None:
        return render(request, "messaging/unsubscribe_invalid.html", status=404)
    done = False
    if request.method == "POST":
        services.unsubscribe(customer)
        done = True
    context = {"company": customer.company, "done": done or not customer.email_consent}
    return render(request, "messaging/unsubscribe.html", context)


@require_POST
@quicklink_view
def push_subscription(request, link: QuickLink):
    """From the quick order link page's Turn on / Turn off notifications (JSON from static/js/push.js):
    the browser's subscription, stored for the link's customer or removed."""
    try:
        data = json.loads(request.body[:10_000] or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return JsonResponse({"error": _("The browser sent no subscription.")}, status=400)
    if data.get("action") == "unsubscribe":
        push.unsubscribe(link.company, customer=link.customer, endpoint=str(data.get("endpoint", "")))
        return JsonResponse({"subscribed": False, "message": _("Notifications are off.")})
    if not link.customer.push_consent:
        return JsonResponse({"error": _("You asked us not to send you notifications.")}, status=403)
    try:
        push.subscribe(
            link.company,
            customer=link.customer,
            data=data.get("subscription"),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse(
        {"subscribed": True, "message": _("Notifications are on. We will let you know about your orders.")}
    )
