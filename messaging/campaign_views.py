"""Campaign pages: compose (from the customer list's bulk bar), history, one campaign with its
recipients, pause / resume / cancel, and the company's messaging settings."""

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from companies.decorators import company_view
from exports.services import request_campaign_export
from messaging import automatic, campaigns, secrets, services, sms, texts
from messaging.forms import AutoMessageForm, CampaignForm, MessagingSettingsForm, TemplateForm
from messaging.models import Channel, Message, MessageTemplate, MessagingSettings
from messaging.queries import recipients_of
from segments.models import Segment
from segments.queries import segments_for
from segments.services import choose_audience

PER_PAGE = 25
RECIPIENT_STATUSES = [
    ("", _("All")),
    (Message.Status.CREATED, _("Waiting")),
    (Message.Status.SENT, _("Sent")),
    (Message.Status.DELIVERED, _("Delivered")),
    (Message.Status.FAILED, _("Failed")),
    (Message.Status.UNKNOWN, _("Unknown")),
    (Message.Status.CANCELLED, _("Cancelled")),
]


def _initial_audience(data) -> str:
    if data.getlist("selected"):
        return "selection"
    if data.get("segment"):
        return "segment"
    return "filter" if data.get("filter_query") else "all"


def _chosen(request, data: dict):
    """The audience a valid CampaignForm names, checked (a ValidationError says what is wrong)."""
    return choose_audience(
        request.company,
        user=request.user,
        kind=data["audience"],
        query=data["filter_query"],
        segment=data["segment"],
        ids=data["selected"],
    )


def _summary(request, form: CampaignForm) -> dict:
    """What the form's choices reach, what the text costs and how it reads, or the error."""
    if not form.is_valid():
        return {"error": " ".join(error for errors in form.errors.values() for error in errors)}
    data = form.cleaned_data
    try:
        chosen = _chosen(request, data)
    except ValidationError as error:
        return {"error": " ".join(error.messages)}
    queryset = chosen.customers(request.company)
    reached = campaigns.reach(queryset)
    channel = data["channel"]
    recipient, text = campaigns.preview(request.company, queryset, channel, data["text"])
    summary = {
        "chosen": chosen,
        "reach": reached,
        "channels": [
            (value, label, reached.channels[value], campaigns.left_out_words(reached.channels[value].left_out))
            for value, label in Channel.choices
        ],
        "channel": channel,
        "unreachable": {value for value in Channel.values if not reached.channels[value].reachable},
        "recipient": recipient,
        "text": text,
    }
    if channel == Channel.SMS and text.strip():
        length = sms.measure(text)
        price = campaigns.settings_for(request.company).sms_price
        total = length.parts * reached.channels[Channel.SMS].reachable
        summary.update(length=length, price=price, total_parts=total, cost=total * price)
    return summary


def _segment(request, data) -> Segment | None:
    pk = data.get("segment")
    return segments_for(request.company, request.user).filter(pk=pk).first() if str(pk or "").isdigit() else None


@require_POST
@company_view()
def campaign_new(request):
    """The compose page: from the customer list (its filter, segment and ticked rows), or posted
    again by itself to send."""
    data = request.POST.copy()
    if "composing" not in data:  # from the list: its bulk form has other fields named "audience"
        data["audience"] = _initial_audience(data)
        data.setdefault("channel", Channel.SMS)
        form = CampaignForm(data)
    else:
        form = CampaignForm(data)
        if "send" in data and form.is_valid():
            try:
                campaign = campaigns.start_campaign(
                    request.company,
                    user=request.user,
                    chosen=_chosen(request, form.cleaned_data),
                    channel=form.cleaned_data["channel"],
                    text=form.cleaned_data["text"],
                    subject=form.cleaned_data["subject"],
                    consent=form.cleaned_data["consent"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                flash.success(request, _("The campaign is on its way."))
                return redirect(campaign)
    context = {
        "form": form,
        "summary": _summary(request, CampaignForm(data)),
        "segment": _segment(request, data),
        "selected_count": len(data.getlist("selected")),
        "templates": texts.templates_of(request.company),
    }
    return render(request, "messaging/campaign_new.html", context)


@require_POST
@company_view()
def campaign_summary(request):
    """The compose page's right column again (htmx), as the choices and the text change."""
    form = CampaignForm(request.POST)
    context = {"summary": _summary(request, form), "form": form, "oob": True}
    return render(request, "messaging/partials/campaign_summary.html", context)


@company_view()
def campaign_list(request):
    visible = campaigns.visible_campaigns(request.company, request.user)
    page = Paginator(visible.select_related("created_by").order_by("-created_at", "-id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    running = any(campaign.is_running for campaign in page.object_list)
    context = {"page": page, "running": running}
    if request.htmx and request.GET.get("part") == "table":
        return render(request, "messaging/partials/campaign_table.html", context)
    return render(request, "messaging/campaign_list.html", context)


@company_view()
def campaign_detail(request, pk):
    # Its counts as the worker (every 2 s while it runs) and resume_campaigns (for two days after)
    # keep them: a GET writes nothing.
    campaign = get_object_or_404(campaigns.visible_campaigns(request.company, request.user), pk=pk)
    status = request.GET.get("status", "")
    recipients = recipients_of(request.company, campaign, status)
    page = Paginator(recipients, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "campaign": campaign,
        "page": page,
        "status": status,
        "statuses": RECIPIENT_STATUSES,
        "left_out": campaigns.left_out_words(campaign.left_out),
        "can_manage": campaigns.can_manage(request.company, request.user, campaign),
    }
    if request.htmx and request.GET.get("part") == "progress":
        return render(request, "messaging/partials/campaign_progress.html", context)
    return render(request, "messaging/campaign_detail.html", context)


@require_POST
@company_view()
def campaign_action(request, pk):
    campaign = get_object_or_404(campaigns.visible_campaigns(request.company, request.user), pk=pk)
    actions = {
        "pause": (campaigns.pause_campaign, _("The campaign is paused."), _("The campaign is not running.")),
        "resume": (campaigns.resume_campaign, _("The campaign goes on."), _("The campaign is not paused.")),
        "cancel": (campaigns.cancel_campaign, _("The campaign is cancelled."), _("The campaign has ended already.")),
    }
    action = actions.get(request.POST.get("action", ""))
    if action is None:
        flash.error(request, _("Choose pause, resume or cancel."))
        return redirect(campaign)
    act, done, not_now = action
    try:
        changed = act(request.company, user=request.user, campaign=campaign)
    except PermissionDenied as error:
        flash.error(request, str(error))
    else:
        (flash.success if changed else flash.warning)(request, done if changed else not_now)
    return redirect(campaign)


@require_POST
@company_view(admin=True)
def campaign_export(request, pk):
    """The recipients (of the status shown, or all) to Excel, built and emailed like an export."""
    campaign = get_object_or_404(campaigns.visible_campaigns(request.company, request.user), pk=pk)
    status = request.POST.get("status", "")
    status = status if status in Message.Status.values else ""
    when = formats.date_format(timezone.localtime(campaign.created_at), "SHORT_DATETIME_FORMAT")
    description = _("Recipients of the %(channel)s campaign of %(when)s") % {
        "channel": campaign.get_channel_display(),
        "when": when,
    }
    if status:
        description += f" ({Message.Status(status).label})"
    export = request_campaign_export(
        request.company, user=request.user, campaign_id=campaign.pk, status=status, description=description
    )
    return redirect(export)


@company_view(admin=True)
def messaging_settings(request):
    found = MessagingSettings.objects.filter(company=request.company).first()
    instance = found or MessagingSettings(company=request.company)
    form = MessagingSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            _prefs, balance = campaigns.save_settings(request.company, values=form.cleaned_data, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            flash.success(request, _("Messaging settings saved."))
            if balance is not None:
                amount = formats.number_format(balance, decimal_pos=2, use_l10n=True)
                flash.info(request, _("SMS.ru answered: the balance is %(balance)s.") % {"balance": amount})
            return redirect("messaging:settings")
    saved_id = secrets.masked(secrets.decrypt(instance.smsru_api_id))
    context = {"form": form, "saved_api_id": saved_id, "callback_url": services.callback_url(request.company)}
    return render(request, "messaging/settings.html", context)


@company_view(admin=True)
def automatic_messages(request):
    """Each event's switch, channel and text, saved together."""
    autos = automatic.auto_messages(request.company)
    forms = [
        (
            auto,
            AutoMessageForm(
                request.POST or None,
                prefix=auto.event,
                initial={"enabled": auto.enabled, "channel": auto.channel, "text": auto.text},
            ),
            automatic.variables_for(auto.event),
        )
        for auto in autos
    ]
    if request.method == "POST" and all(form.is_valid() for _auto, form, _names in forms):
        values = {auto.event: form.cleaned_data for auto, form, _names in forms}
        try:
            automatic.save_auto_messages(request.company, values=values, actor=request.user)
        except ValidationError as error:
            for auto, form, _names in forms:
                for message in error.message_dict.get(auto.event, []):
                    form.add_error("text", message)
        else:
            flash.success(request, _("Automatic messages saved."))
            return redirect("messaging:automatic")
    return render(request, "messaging/automatic.html", {"forms": forms})


@company_view()
def template_list(request):
    return render(request, "messaging/template_list.html", {"templates": texts.templates_of(request.company)})


@company_view()
def template_form(request, pk=None):
    template = get_object_or_404(MessageTemplate, pk=pk) if pk else None
    initial = (
        {"name": template.name, "channel": template.channel, "subject": template.subject, "text": template.text}
        if template
        else {"channel": Channel.SMS}
    )
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            texts.save_template(request.company, template=template, values=form.cleaned_data, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            flash.success(request, _("Template saved."))
            return redirect("messaging:templates")
    return render(request, "messaging/template_form.html", {"form": form, "template": template})


@require_POST
@company_view()
def template_delete(request, pk):
    template = get_object_or_404(MessageTemplate, pk=pk)
    texts.delete_template(request.company, template=template, actor=request.user)
    flash.success(request, _("Template deleted."))
    return redirect("messaging:templates")
