"""Message templates: texts staff save once and pick when writing to one customer or many."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from audit.services import Action, record
from companies.models import Company
from messaging import services
from messaging.campaigns import check_variables
from messaging.models import Channel, MessageTemplate


def templates_of(company: Company) -> QuerySet[MessageTemplate]:
    return MessageTemplate.objects.filter(company=company).order_by("name", "pk")


def save_template(company: Company, *, template: MessageTemplate | None, values: dict, actor) -> MessageTemplate:
    """Creates or changes a template; its text is checked as a campaign's would be."""
    name = values["name"].strip()
    if not name:
        raise ValidationError({"name": _("Name the template.")})
    channel = values["channel"]
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose SMS, email or push.")})
    text = services.check_text(channel, values["text"])
    check_variables(text)
    template = template or MessageTemplate(company=company, created_by=actor)
    if template.company_id != company.pk:
        raise ValueError("an object of another company was passed to a service")
    template.name, template.channel, template.text = name[:100], channel, text
    template.subject = values.get("subject", "").strip()[:255] if channel == Channel.EMAIL else ""
    try:
        with transaction.atomic():
            template.save()
            record(company, actor=actor, action=Action.TEMPLATE_SAVED, target=template, label=template.name)
    except IntegrityError as error:
        raise ValidationError({"name": _("A template with this name exists already.")}) from error
    return template


@transaction.atomic
def delete_template(company: Company, *, template: MessageTemplate, actor) -> None:
    if template.company_id != company.pk:
        raise ValueError("an object of another company was passed to a service")
    record(company, actor=actor, action=Action.TEMPLATE_DELETED, target=template, label=template.name)
    template.delete()
