"""Message templates and the automatic messages page: saved, picked, refused with the reason."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from messaging.models import AutoMessage, MessageTemplate
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


def test_a_template_is_saved_edited_picked_and_deleted(world, manager_client):
    new = reverse("messaging:template_new")
    data = {"name": "Ready", "channel": "sms", "text": "{first_name}, your order is ready"}
    assert manager_client.post(new, data).status_code == 302
    template = MessageTemplate.objects.get()
    assert template.created_by == world.manager_a
    for bad, error in [
        ({**data, "text": " "}, "Write the message."),
        ({**data, "text": "Hi {points}"}, "Unknown variable {points}"),
        ({**data, "name": "Ready"}, "A template with this name exists already."),
        ({**data, "name": ""}, "This field is required."),
    ]:
        response = manager_client.post(new, bad)
        assert response.status_code == 200 and error in response.content.decode(), error
    assert MessageTemplate.objects.count() == 1
    edit = reverse("messaging:template_edit", args=[template.pk])
    manager_client.post(edit, {**data, "channel": "email", "subject": "News", "text": "Dear {name}"})
    template.refresh_from_db()
    assert (template.channel, template.subject, template.text) == ("email", "News", "Dear {name}")

    anna = make_customer(world.company_a, name="Anna", phones=["+79160000001"])
    tab = manager_client.get(reverse("messaging:customer", args=[anna.pk])).content.decode()
    assert 'data-template-for="#id_message-text"' in tab and 'data-text="Dear {name}"' in tab
    compose = manager_client.post(reverse("messaging:campaign_new"), {}).content.decode()
    assert 'data-template-for="#id_text" data-template-subject="#id_subject"' in compose

    manager_client.post(reverse("messaging:template_delete", args=[template.pk]))
    assert not MessageTemplate.objects.exists()
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count("messaging.template_saved") == 2 and "messaging.template_deleted" in actions


def test_the_automatic_messages_page(world, owner_client, manager_client):
    url = reverse("messaging:automatic")
    assert manager_client.get(url).status_code == 403
    page = owner_client.get(url).content.decode()
    assert 'data-testid="auto-order_shipped"' in page and "{first_name}, your order #{order}" in page
    data = {}
    for event in AutoMessage.Event.values:
        data[f"{event}-channel"] = "sms"
        data[f"{event}-text"] = "Hello {first_name}"
    data["order_shipped-enabled"] = "on"
    data["birthday-text"] = "Happy birthday, order {order}"
    response = owner_client.post(url, data)
    assert response.status_code == 200 and "Unknown variable {order}" in response.content.decode()
    assert not AutoMessage.objects.exists()
    data["birthday-text"] = "Happy birthday, {first_name}!"
    assert owner_client.post(url, data).status_code == 302
    shipped = AutoMessage.objects.get(event="order_shipped")
    assert shipped.enabled and shipped.text == "Hello {first_name}"
    assert AutoMessage.objects.filter(enabled=True).count() == 1
