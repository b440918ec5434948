"""A 5,000-recipient SMS campaign sent by real Celery worker processes on Redis to the local SMS.ru
server, the first worker killed with SIGKILL in the middle: a second worker finishes it, and no
recipient gets two messages.

SMS.ru cannot be asked about a message by our key, so the sends the killed worker had begun (at
most two: one with the provider, the next claimed) are marked unknown for staff to see, never
sent again; every other recipient gets exactly one SMS."""

import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django_scopes import scopes_disabled

from config.celery import app
from customers.services.identification import NewCustomer, insert_new_customers
from messaging import campaigns, services
from messaging.models import Campaign, Message, MessagingSettings
from segments.services import choose_audience
from tests.exports.test_worker import database_url, wait_for
from tests.messaging.gateway import Gateway, serve

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (CI sets it)")
RECIPIENTS = 5000


@pytest.fixture
def gateway():
    gateway = Gateway()
    server = serve(gateway)
    yield gateway
    server.shutdown()


@pytest.fixture
def workers(transactional_db, tmp_path, gateway):
    """Starts worker processes on a queue of this test's own, sending through the local gateway."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "VAR_DIR": str(tmp_path),
        "CELERY_QUEUE": queue,
        "SECRET_KEY": "worker-test",
        "DEBUG": "0",
        "SMS_BACKEND": "messaging.backends.smsru.SmsRuBackend",
        "SMSRU_URL": gateway.url,
        "SMSRU_API_ID": gateway.api_id,
    }
    started = []

    def start():
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"]
        started.append(subprocess.Popen(command, cwd=settings.BASE_DIR, env=env))
        return started[-1]

    app.conf.task_always_eager = False
    default_queue, app.conf.task_default_queue = app.conf.task_default_queue, queue
    try:
        yield start
    finally:
        app.conf.task_always_eager = True
        app.conf.task_default_queue = default_queue
        for process in started:
            process.kill()
            process.wait(timeout=20)


def test_a_worker_killed_mid_campaign_leaves_nobody_with_two_messages(world, workers, gateway, monkeypatch, settings):
    company = world.company_a
    # The sweepers run here, in the test's process: with the workers' provider.
    settings.SMS_BACKEND = "messaging.backends.smsru.SmsRuBackend"
    settings.SMSRU_URL, settings.SMSRU_API_ID = gateway.url, gateway.api_id
    with scopes_disabled():
        people = [NewCustomer(f"Client {n}", [f"+7916{n:07d}"], []) for n in range(RECIPIENTS)]
        insert_new_customers(company, people, source="import")
        MessagingSettings.objects.create(company=company, quiet_hours=False)
    first = workers()
    with scopes_disabled():
        campaign = campaigns.start_campaign(
            company,
            user=world.owner_a,
            chosen=choose_audience(company, user=world.owner_a, kind="all"),
            channel="sms",
            text="Spring sale, {first_name}!",
            consent=True,
        )

    wait_for("the first worker did not send 1,000 SMS", lambda: len(gateway.sent) >= 1000)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=20)
    at_the_kill = len(gateway.sent)
    assert at_the_kill < RECIPIENTS, "the campaign ended before the worker was killed"

    # What the sweepers do once a dead worker's claims are old (10 minutes; here at once).
    monkeypatch.setattr(services, "STALLED_AFTER", timedelta(0))
    monkeypatch.setattr(campaigns, "STOPPED_AFTER", timedelta(0))
    with scopes_disabled():
        services.resolve_stalled_messages()
        workers()  # the second worker
        assert campaigns.resume_campaigns() == 1

    def finished():
        with scopes_disabled():
            return Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DONE

    wait_for("the second worker did not finish the campaign", finished)

    per_number = Counter(sms["to"] for sms in gateway.sent)
    assert max(per_number.values()) == 1, "a recipient got the campaign twice"
    with scopes_disabled():
        statuses = Counter(Message.objects.filter(campaign=campaign).values_list("status", flat=True))
        unknown = list(Message.objects.filter(campaign=campaign, status=Message.Status.UNKNOWN))
        campaigns.refresh_counts(campaign)
        campaign.refresh_from_db()
    assert sum(statuses.values()) == RECIPIENTS
    # At most the two sends the killed worker had begun are unknown; every other recipient got one.
    assert len(unknown) <= 2 and statuses[Message.Status.SENT] == RECIPIENTS - len(unknown)
    assert len(per_number) >= RECIPIENTS - len(unknown) and len(gateway.sent) <= RECIPIENTS
    assert gateway.sent[0]["msg"] == "Spring sale, Client!"
    assert campaign.sent == statuses[Message.Status.SENT] and campaign.recipients == RECIPIENTS
