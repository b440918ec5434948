"""An SMS sent by a real Celery worker on Redis: the staff's request makes the message row; the
worker process claims it and the embedded provider writes it once."""

import pytest
from django.conf import settings
from django.urls import reverse

from messaging.models import Message
from tests.exports.test_worker import wait_for, worker  # noqa: F401 (the worker fixture)
from tests.factories import make_customer

pytestmark = [
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (CI sets it)"),
    pytest.mark.usefixtures("in_company_a"),
]


def test_a_worker_sends_the_sms_once(worker, world, tmp_path):  # noqa: F811
    anna = make_customer(world.company_a, name="Anna", phones=["+79161234567"])
    client = world.client_for(world.manager_a)
    response = client.post(
        reverse("messaging:send", args=[anna.pk]), {"message-channel": "sms", "message-text": "Ready"}
    )
    assert response.status_code == 302
    message = Message.objects.get()

    def delivered():
        message.refresh_from_db()
        return message.status == Message.Status.DELIVERED

    wait_for("the worker did not send the SMS", delivered)
    files = list((tmp_path / "sms").iterdir())  # the worker's var/ is this test's tmp_path
    assert [file.name for file in files] == [f"{message.key}.txt"] and "Ready" in files[0].read_text()
