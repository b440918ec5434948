"""Times an SMS campaign to 100,000 recipients: making its rows, sending them through the SMS.ru
adapter to a local gateway, and the sending worker's memory, each against its floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_campaign .venv/bin/python bench/campaign.py

It needs a company ("Demo Shop" by default, `--company`) with at least 100,000 customers an SMS
reaches (a phone, SMS consent, not blocked): `seed_demo --customers 115000` makes about 103,000.

1. Recipients: `campaigns.make_recipients` of a campaign to all customers (rows/s), against the
   same rows made by one hand-written `INSERT … SELECT` (the floor). Both are rolled back.
2. Sending: `campaigns.run_campaign` in a loop until "done", with `SMS_BACKEND` the SMS.ru adapter
   and `SMSRU_URL` a `tests/messaging/gateway.py` server this script runs on loopback, quiet hours
   off, over the first `--send` recipients (20,000) of such a campaign (the rows past them are
   deleted before the run). The floor posts the same requests (the adapter's form fields, the
   same numbers and texts) to the same gateway in a bare urllib loop. Each runs in a child
   process, as a worker would, the gateway in this one.
3. Memory: the peak RSS of the sending child for a 10,000- and a 100,000-recipient campaign.

Exits 1 when rows/s < 20,000, the campaign sends at less than half the bare loop's rate, or a
sending child's peak RSS reaches 200 MB or grows by more than 25% from 10,000 to 100,000
recipients. See bench/README.md.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from common import OWNER_EMAIL, demo_company, finish
from django.conf import settings
from django.db import connection, transaction
from django_scopes import scope, scopes_disabled

from companies.models import User
from customers.models import Customer, CustomerPhone
from messaging import campaigns
from messaging.models import Campaign, Message, MessagingSettings
from segments.services import choose_audience

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "messaging"))
from gateway import Gateway, serve

TEXT = "{first_name}, в эти выходные скидка 15% на весь каталог. Ждём вас!"
AUDIENCE = 100_000
RATE_TARGET = 20_000  # rows/s for make_recipients
SEND_RATIO_TARGET = 0.5  # the campaign's messages/s against the bare loop's
RSS_LIMIT_MB = 200
RSS_GROWTH = 1.25
PAGE_SIZE = 4096
API_ID = Gateway.api_id


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE_SIZE / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler(threading.Thread):
    """The process's resident memory every 0.2 s, to tell a flat line from a growing one."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.running = True

    def run(self):
        started = time.monotonic()
        while self.running:
            self.samples.append((time.monotonic() - started, rss_mb()))
            time.sleep(0.2)

    def at(self, share: float) -> float:
        end = self.samples[-1][0]
        return next(rss for seconds, rss in self.samples if seconds >= share * end)


# Setting up ---------------------------------------------------------------------------------------


def setup(company_name: str):
    company = demo_company(company_name)
    owner = User.objects.get(email=OWNER_EMAIL)
    campaigns._queue = lambda campaign: None  # no Celery: this script runs the worker's part itself
    with scopes_disabled():
        MessagingSettings.objects.update_or_create(company=company, defaults={"quiet_hours": False})
        reachable = (
            Customer.objects.filter(company=company, erased_at=None, is_blocked=False, sms_consent=True)
            .filter(campaigns._has(CustomerPhone))
            .count()
        )
    if reachable < AUDIENCE:
        raise SystemExit(
            f"{company_name!r} has {reachable} customers an SMS reaches; seed_demo --customers 115000 makes enough."
        )
    return company, owner, reachable


def new_campaign(company, owner) -> Campaign:
    with scope(company=company):
        chosen = choose_audience(company, user=owner, kind="all")
        return campaigns.start_campaign(company, user=owner, chosen=chosen, channel="sms", text=TEXT, consent=True)


def drop_campaign(campaign_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Message._meta.db_table} WHERE campaign_id = %s", [campaign_id])
        cursor.execute(f"DELETE FROM {Campaign._meta.db_table} WHERE id = %s", [campaign_id])


def vacuum() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {Message._meta.db_table}")


# 1. Making the recipients -------------------------------------------------------------------------


# The columns without a database default, as make_recipients fills them (`event` came with the
# automatic messages: '' for a campaign's).
EVENT = any(f.name == "event" for f in Message._meta.get_fields())
FLOOR_SQL = f"""
INSERT INTO {Message._meta.db_table} (company_id, customer_id, campaign_id, channel, direction, status, address,
    subject, text, parts, key, {"event, " if EVENT else ""}provider_id, error, attempts, created_at)
SELECT c.company_id, c.id, %(campaign)s, 'sms', 'out', 'created', p.number, '', %(text)s, 0, gen_random_uuid(),
    {"'', " if EVENT else ""}'', '', 0, now()
FROM {Customer._meta.db_table} c
CROSS JOIN LATERAL (
    SELECT number FROM {CustomerPhone._meta.db_table} WHERE customer_id = c.id ORDER BY position, id LIMIT 1
) p
WHERE c.company_id = %(company)s AND c.erased_at IS NULL AND NOT c.is_blocked AND c.sms_consent
ORDER BY c.id
ON CONFLICT (campaign_id, customer_id, channel) DO NOTHING
"""


class QueryTimer:
    """Each statement's time, by its first words (an execute_wrapper; no query log)."""

    def __init__(self):
        self.times: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.times.append((" ".join(sql.split()[:3])[:40], (time.perf_counter() - started) * 1000))


def app_recipients(company, campaign) -> tuple[int, float, list]:
    timer = QueryTimer()
    with transaction.atomic(), scope(company=company):
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            made = campaigns.make_recipients(company, campaign)
            seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return made, seconds, timer.times


def floor_recipients(company, campaign) -> tuple[int, float]:
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(FLOOR_SQL, {"campaign": campaign.pk, "text": TEXT, "company": company.pk})
        made = cursor.rowcount
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return made, seconds


def explain_insert(company, campaign) -> None:
    """The plans of the app's INSERT and the floor's (executed, rolled back)."""
    timer = []

    def keep(execute, sql, params, many, context):
        if sql.startswith("INSERT INTO"):
            timer.append((sql, params))
        return execute(sql, params, many, context)

    with transaction.atomic(), scope(company=company), connection.execute_wrapper(keep):
        campaigns.make_recipients(company, campaign)
        transaction.set_rollback(True)
    sql, params = timer[0]
    for role, query, args in [
        ("make_recipients", sql, params),
        ("floor", FLOOR_SQL, {"campaign": campaign.pk, "text": TEXT, "company": company.pk}),
    ]:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, args)
            lines = [row[0] for row in cursor.fetchall()]
            transaction.set_rollback(True)
        print(f"  [{role}]")
        for line in lines:
            print("    " + (line if len(line) < 160 else line[:160] + "…"))


def bench_recipients(company, owner, rounds: int, plans: bool) -> tuple[list[str], dict]:
    campaign = new_campaign(company, owner)  # committed, its rows never are
    try:
        app_recipients(company, campaign)  # warm-up
        floor_recipients(company, campaign)
        app, floor, made, floor_made, per_query = [], [], 0, 0, []
        for _round in range(rounds):
            made, seconds, times = app_recipients(company, campaign)
            app.append(seconds)
            per_query.append(times)
            floor_made, seconds = floor_recipients(company, campaign)
            floor.append(seconds)
        app_s, floor_s = statistics.median(app), statistics.median(floor)
        print(f"\n1. Recipients of a campaign to all: warm-up + {rounds} alternating rounds, medians, rolled back")
        print(f"  make_recipients   {made:7d} rows  {app_s:6.2f} s  {made / app_s:8.0f} rows/s")
        print(f"  floor INSERT…SELECT {floor_made:5d} rows  {floor_s:6.2f} s  {floor_made / floor_s:8.0f} rows/s")
        print(f"  app / floor time  x{app_s / floor_s:.2f}")
        print("  make_recipients' statements (median ms):")
        for index, (what, _ms) in enumerate(per_query[0]):
            print(f"    {statistics.median(times[index][1] for times in per_query):8.1f}  {what}")
        if plans:
            explain_insert(company, campaign)
    finally:
        drop_campaign(campaign.pk)
    failures = []
    if made != floor_made:
        failures.append(f"make_recipients made {made} rows, the floor {floor_made}")
    if made / app_s < RATE_TARGET:
        failures.append(f"make_recipients: {made / app_s:.0f} rows/s, under {RATE_TARGET}")
    return failures, {"rows": made, "app_s": app_s, "floor_s": floor_s, "floor_rows": floor_made}


# 2 and 3. Sending ---------------------------------------------------------------------------------


def prepared_campaign(company, owner, recipients: int) -> Campaign:
    """A campaign to all whose rows are made, cut to its first `recipients` (the rest deleted)."""
    campaign = new_campaign(company, owner)
    with scope(company=company):
        campaigns.make_recipients(company, campaign)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Message._meta.db_table} WHERE campaign_id = %s AND id > "
            f"(SELECT id FROM {Message._meta.db_table} WHERE campaign_id = %s ORDER BY id OFFSET %s LIMIT 1)",
            [campaign.pk, campaign.pk, recipients - 1],
        )
    with scopes_disabled():
        Campaign.objects.filter(pk=campaign.pk).update(recipients=recipients)
    vacuum()
    return campaign


def child_send(company_name: str, campaign_id: int, url: str) -> dict:
    """The worker's part: run_campaign until done, through the SMS.ru adapter."""
    settings.SMS_BACKEND = "messaging.backends.smsru.SmsRuBackend"
    settings.SMSRU_URL, settings.SMSRU_API_ID = url, API_ID
    company = demo_company(company_name)
    sampler = RssSampler()
    sampler.start()
    runs = 0
    started = time.monotonic()
    with scope(company=company):
        while (outcome := campaigns.run_campaign(company, campaign_id)) != "done":
            runs += 1
            if outcome != "again":
                waiting = Message.objects.filter(campaign_id=campaign_id).exclude(status=Message.Status.SENT)
                errors = set(waiting.values_list("status", "error").distinct()[:5])
                raise SystemExit(f"run_campaign answered {outcome!r}; not sent: {waiting.count()}, {errors}")
        seconds = time.monotonic() - started
        sampler.running = False
        campaign = Campaign.objects.get(pk=campaign_id)
    return {
        "seconds": seconds,
        "sent": campaign.sent,
        "failed": campaign.failed,
        "recipients": campaign.recipients,
        "runs": runs + 1,
        "rss_10": sampler.at(0.1),
        "rss_50": sampler.at(0.5),
        "rss_peak": peak_mb(),
    }


def child_floor(company_name: str, campaign_id: int, url: str) -> dict:
    """The same requests as the adapter's (api_id, json, to, msg, from) in a bare urllib loop."""
    company = demo_company(company_name)
    with scopes_disabled():
        sends = list(
            Message.objects.filter(campaign_id=campaign_id).order_by("pk").values_list("address", "text", flat=False)
        )
    started = time.monotonic()
    for address, text in sends:
        number = address.lstrip("+")
        data = urlencode({"api_id": API_ID, "json": 1, "to": number, "msg": text, "from": company.name}).encode()
        with urlopen(Request(f"{url}/sms/send", data=data, method="POST"), timeout=10) as response:
            answer = json.loads(response.read())
        assert answer["sms"][number]["status"] == "OK", answer
    return {"seconds": time.monotonic() - started, "sent": len(sends), "rss_peak": peak_mb()}


def time_wait_sockets() -> int:
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(line.split()[3] == "06" for line in lines)


def run_child(*args) -> dict:
    # Every request is a new loopback connection (HTTP/1.0), each in TIME_WAIT for a minute after:
    # start with enough of the 28,000 ephemeral ports free.
    for _second in range(70):
        if time_wait_sockets() < 8_000:
            break
        time.sleep(1)
    done = subprocess.run([sys.executable, __file__, "--child", *map(str, args)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"child {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_sending(company, owner, args) -> tuple[list[str], dict]:
    gateway = Gateway()
    server = serve(gateway)
    failures, figures = [], {"send": [], "floor": [], "memory": {}}
    try:
        name = company.name
        print(f"\n2. Sending {args.send} recipients: {args.send_rounds} alternating rounds, each in a child process")
        for round_no in range(args.send_rounds):
            campaign = prepared_campaign(company, owner, args.send)
            try:
                before = len(gateway.sent)
                sent = run_child("send", name, campaign.pk, gateway.url)
                assert sent["sent"] == args.send and len(gateway.sent) - before == args.send, (sent, len(gateway.sent))
                floor = run_child("floor", name, campaign.pk, gateway.url)
            finally:
                drop_campaign(campaign.pk)
            figures["send"].append(sent)
            figures["floor"].append(floor)
            print(
                f"  round {round_no + 1}: run_campaign {sent['sent'] / sent['seconds']:6.0f} msg/s "
                f"({sent['seconds']:.1f} s, {sent['runs']} runs), bare loop {floor['sent'] / floor['seconds']:6.0f} "
                f"msg/s ({floor['seconds']:.1f} s)",
                flush=True,
            )
        app_rate = statistics.median(r["sent"] / r["seconds"] for r in figures["send"])
        floor_rate = statistics.median(r["sent"] / r["seconds"] for r in figures["floor"])
        ratio = app_rate / floor_rate
        print(f"  medians: run_campaign {app_rate:.0f} msg/s, bare urllib loop {floor_rate:.0f} msg/s, x{ratio:.2f}")
        figures.update(app_rate=app_rate, floor_rate=floor_rate, ratio=ratio)
        if ratio < SEND_RATIO_TARGET:
            failures.append(f"the campaign sends at x{ratio:.2f} of the bare loop, under x{SEND_RATIO_TARGET}")

        print("\n3. Peak RSS of the sending child")
        print(f"  {'recipients':>10} {'seconds':>8} {'msg/s':>6} {'RSS 10%':>8} {'RSS 50%':>8} {'peak':>6}")
        for size in args.memory:
            campaign = prepared_campaign(company, owner, size)
            try:
                sent = run_child("send", name, campaign.pk, gateway.url)
            finally:
                drop_campaign(campaign.pk)
            assert sent["sent"] == size, sent
            figures["memory"][size] = sent
            print(
                f"  {size:10d} {sent['seconds']:8.1f} {size / sent['seconds']:6.0f} {sent['rss_10']:8.0f} "
                f"{sent['rss_50']:8.0f} {sent['rss_peak']:6.0f}",
                flush=True,
            )
            if sent["rss_peak"] >= RSS_LIMIT_MB:
                failures.append(f"sending {size}: peak RSS {sent['rss_peak']:.0f} MB")
        peaks = [figures["memory"][size]["rss_peak"] for size in sorted(figures["memory"])]
        if len(peaks) > 1 and peaks[-1] > RSS_GROWTH * peaks[0]:
            failures.append(
                f"the sending worker's peak RSS grows with the campaign: {peaks[0]:.0f} → {peaks[-1]:.0f} MB"
            )
    finally:
        server.shutdown()
        vacuum()
    return failures, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--company", default="Demo Shop")
    parser.add_argument("--only", choices=["recipients", "sending"])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of make_recipients and its floor")
    parser.add_argument("--send", type=int, default=20_000, help="recipients of each sending round")
    parser.add_argument("--send-rounds", type=int, default=3)
    parser.add_argument("--memory", type=int, nargs="*", default=[10_000, 100_000], help="campaign sizes")
    parser.add_argument("--plans", action="store_true", help="EXPLAIN ANALYZE of both INSERTs")
    parser.add_argument("--save", help="write the figures to this JSON file")
    args = parser.parse_args()
    if args.child:
        kind, name, campaign_id, url = args.child
        print(json.dumps((child_send if kind == "send" else child_floor)(name, int(campaign_id), url)))
        return 0

    company, owner, reachable = setup(args.company)
    print(f"{args.company}: {reachable} customers an SMS reaches; text {TEXT!r}")
    failures, figures = [], {}
    if args.only in (None, "recipients"):
        found, figures["recipients"] = bench_recipients(company, owner, args.rounds, args.plans)
        failures += found
    if args.only in (None, "sending"):
        found, figures["sending"] = bench_sending(company, owner, args)
        failures += found
    if args.save:
        Path(args.save).write_text(json.dumps(figures, indent=1, default=str))
    return finish(failures, report_memory=True)


if __name__ == "__main__":
    sys.exit(main())
