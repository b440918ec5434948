"""A company's own SMS.ru account: its API ID is tried before it is kept, stored encrypted and
never shown back in full; that company's SMS go through it with its sender name, while another
company's go through the service's provider."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from messaging import secrets, services
from messaging.models import Message, MessagingSettings
from tests.factories import make_customer
from tests.messaging.gateway import Gateway, serve

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def gateway(settings, tmp_path):
    gateway = Gateway(api_id="company-a-secret-4321")
    server = serve(gateway)
    settings.SMSRU_URL = gateway.url
    settings.SMSRU_API_ID = ""  # the service itself has no SMS.ru account here
    settings.SMS_FILE_PATH = tmp_path / "sms"
    yield gateway
    server.shutdown()


def form(**changes):
    data = {
        "sms_price": "2.00",
        "quiet_from": "21:00",
        "quiet_until": "09:00",
        "email_sender": "",
        "sms_provider": "smsru",
        "smsru_api_id": "company-a-secret-4321",
        "smsru_sender": "AlphaShop",
    }
    return {**data, **changes}


def test_the_api_id_is_tried_kept_encrypted_and_shown_masked(world, gateway, owner_client):
    url = reverse("messaging:settings")
    wrong = owner_client.post(url, form(smsru_api_id="wrong"))
    assert wrong.status_code == 200 and "SMS.ru did not accept it" in wrong.content.decode()
    missing = owner_client.post(url, form(smsru_api_id=""))
    assert "Enter the API ID from your SMS.ru account." in missing.content.decode()
    assert not MessagingSettings.objects.exists()

    saved = owner_client.post(url, form(), follow=True).content.decode()
    assert "the balance is 4,762.58" in saved or "the balance is 4762.58" in saved
    prefs = MessagingSettings.objects.get()
    assert "company-a-secret-4321" not in prefs.smsru_api_id  # encrypted at rest
    assert secrets.decrypt(prefs.smsru_api_id) == "company-a-secret-4321"
    assert "company-a-secret-4321" not in saved and "••••4321" in saved
    # Saved again without the field: the API ID stays.
    owner_client.post(url, form(smsru_api_id="", smsru_sender="Alpha"))
    prefs.refresh_from_db()
    assert secrets.decrypt(prefs.smsru_api_id) == "company-a-secret-4321" and prefs.smsru_sender == "Alpha"
    logged = str(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert "company-a-secret-4321" not in logged and "••••4321" in logged


def test_the_companys_sms_go_through_its_account_and_others_through_the_services(
    world, gateway, owner_client, django_capture_on_commit_callbacks, settings
):
    owner_client.post(reverse("messaging:settings"), form())
    anna = make_customer(world.company_a, name="Anna", phones=["+79161234567"])
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_to_customer(world.company_a, customer=anna, channel="sms", text="Hi", actor=None)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert gateway.sent == [{"sms_id": message.provider_id, "to": "79161234567", "msg": "Hi", "from": "AlphaShop"}]

    from django_scopes import scope

    with scope(company=world.company_b):
        boris = make_customer(world.company_b, name="Boris", phones=["+79161234568"])
        with django_capture_on_commit_callbacks(execute=True):
            other = services.send_to_customer(world.company_b, customer=boris, channel="sms", text="Hi", actor=None)
        other.refresh_from_db()
    assert other.status == Message.Status.DELIVERED and len(gateway.sent) == 1  # the file provider took it
    assert (settings.SMS_FILE_PATH / f"{other.key}.txt").exists()


def test_a_rotated_secret_key_still_opens_the_saved_credentials(settings):
    token = secrets.encrypt("api-id")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key"
    assert secrets.decrypt(token) == "api-id"
    settings.SECRET_KEY_FALLBACKS = []
    assert secrets.decrypt(token) == ""  # the old key is gone: re-enter the API ID


def test_delivery_reports_come_to_the_companys_own_callback_url(
    world, gateway, owner_client, client, django_capture_on_commit_callbacks
):
    owner_client.post(reverse("messaging:settings"), form())
    page = owner_client.get(reverse("messaging:settings")).content.decode()
    url = services.callback_url(world.company_a)
    assert url in page and url.startswith(settings_site_url())
    anna = make_customer(world.company_a, name="Anna", phones=["+79161234567"])
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_to_customer(world.company_a, customer=anna, channel="sms", text="Hi", actor=None)
    message.refresh_from_db()
    path = url.removeprefix(settings_site_url())
    report = {"data[]": [f"sms_status\n{message.provider_id}\n103\n1700000000"]}
    assert client.post(path.replace("-", "-0", 1), report).status_code == 404  # forged
    assert client.post(path, report).content == b"100"
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    other = services.callback_url(world.company_b).removeprefix(settings_site_url())
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENT)
    client.post(other, report)  # another company's URL cannot touch this company's message
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def settings_site_url():
    from django.conf import settings

    return settings.SITE_URL
