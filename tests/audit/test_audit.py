"""The activity log: every service that acts for someone writes it, it keeps no personal data of
customers, nobody changes it, owners and admins read, filter, page and export it, and it is
swept after the retention period."""

import ast
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from openpyxl import load_workbook

from audit import queries
from audit.models import AuditEntry
from audit.services import record
from audit.tasks import delete_expired_entries
from companies.models import Membership
from companies.services import set_exchange_rate
from customers import services as customer_services
from exports.models import Export
from orders.models import Order, Product
from orders.services import Line, change_order_status, place_order
from quicklinks.services import issue_link, regenerate_link, revoke_link
from segments.services import create_segment, delete_segment, rename_segment, update_segment
from tests.factories import UserFactory, make_customer

Action = AuditEntry.Action
SERVICE_MODULES = sorted(
    path
    for pattern in ("*/*services*.py", "*/services/*.py")
    for path in Path(settings.BASE_DIR).glob(pattern)
    if not path.parts[len(Path(settings.BASE_DIR).parts)].startswith((".", "tests", "bench"))
)
# Writers that others call: the customer's timeline (the caller audits) and permission checks.
NOT_ACTIONS = {"record_event", "can_export", "can_take_archive", "_require_admin", "list_columns"}
# Services that act for the signed-in `user` rather than an `actor`.
USER_ACTIONS = {
    "request_export",
    "request_archive",
    "request_activity_export",
    "retry_export",
    "upload_import",
    "confirm_import",
    "start_undo",
}
WRITERS = {"record", "record_for_companies", "audit_customer", "_audit_request", "record_download"}


def _functions():
    """(module, name, node) of every module-level function of every services module."""
    for path in SERVICE_MODULES:
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                yield path.relative_to(settings.BASE_DIR), node.name, node


def _calls(node) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def test_every_service_that_acts_for_someone_writes_the_activity_log():
    functions = list(_functions())
    calls = {name: _calls(node) for _path, name, node in functions}
    auditing = set(WRITERS)
    while True:  # a service audits if it writes an entry or calls a service that does
        more = {name for name, called in calls.items() if name not in auditing and called & auditing}
        if not more:
            break
        auditing |= more
    acting = [
        (str(path), name)
        for path, name, node in functions
        if name not in NOT_ACTIONS
        and ("actor" in {a.arg for a in node.args.args + node.args.kwonlyargs} or name in USER_ACTIONS)
    ]
    assert len(acting) > 40  # the enumeration finds the services
    silent = [f"{path}:{name}" for path, name in acting if name not in auditing and not name.startswith("_")]
    assert not silent, f"these take an actor but write no activity log entry: {silent}"


def entries(company, **filters):
    with scope(company=company):
        return list(AuditEntry.objects.filter(company=company, **filters).order_by("id"))


def actions(company):
    return [entry.action for entry in entries(company)]


def test_customer_label_note_and_merge_services_write_who_did_what(world):
    company, owner = world.company_a, world.owner_a
    with scope(company=company):
        vip = customer_services.create_label(company, name="VIP", color="#198754", actor=owner)
        anna = customer_services.create_customer(
            company, fields={"full_name": "Anna Secret"}, phones=["+79161234567"], actor=owner
        )
        customer_services.update_customer(
            company,
            customer=anna,
            fields={"full_name": "Anna Secretova", "discount_percent": Decimal("5")},
            phones=["+79161234567"],
            emails=[],
            actor=owner,
        )
        customer_services.set_pipeline(company, customer=anna, status="current", temperature="hot", actor=owner)
        count = customer_services.add_label(
            company, label=vip, customers=anna.__class__.objects.all(), actor=owner, audience="All customers"
        )
        note = customer_services.add_note(company, customer=anna, text="Secret note", priority=1, actor=owner)
        customer_services.delete_note(company, note=note, actor=owner)
        twin = customer_services.create_customer(company, fields={"full_name": "Twin"}, phones=["+79161234500"])
        merged = customer_services.merge_customers(company, target=anna, duplicate=twin, actor=owner)
        customer_services.undo_merge(company, merge=merged.merges.get(), actor=owner)
        customer_services.erase_customer(company, customer=anna, actor=owner)

    assert actions(company) == [
        Action.LABEL_CREATED,
        Action.CUSTOMER_CREATED,
        Action.CUSTOMER_EDITED,
        Action.CUSTOMER_EDITED,
        Action.LABEL_ADDED,
        Action.NOTE_ADDED,
        Action.NOTE_DELETED,
        Action.CUSTOMER_CREATED,
        Action.CUSTOMERS_MERGED,
        Action.MERGE_UNDONE,
        Action.CUSTOMER_ERASED,
    ]
    log = entries(company)
    assert all(entry.actor == owner and entry.actor_type == "user" for entry in log if entry.object_id != twin.pk)
    edited = log[2]
    assert edited.object_type == "customers.customer" and edited.object_id == anna.pk
    # Personal values are named, never kept: the log outlives an erasure and is never rewritten.
    assert {"field": "full_name"} in edited.changes
    assert {"field": "discount_percent", "old": "0.00", "new": "5.00"} in edited.changes
    assert log[4].details == {"count": count, "audience": "All customers"} and log[4].object_label == "VIP"
    everything = repr([(e.object_label, e.changes, e.details) for e in log])
    assert "Secret" not in everything and "+7916" not in everything
    assert log[7].actor is None and log[7].actor_type == "system"  # created without an actor


def test_order_quick_link_segment_and_rate_services_write_the_log(world, customer_a):
    company, owner = world.company_a, world.owner_a
    with scope(company=company):
        rose = Product.objects.create(company=company, name="Rose", price=Decimal("10"), currency="RUB")
        by_link = place_order(
            company, customer=customer_a, lines=[Line(quantity=2, product_id=rose.pk)], source=Order.Source.QUICK_LINK
        )
        change_order_status(company, order=by_link, status=Order.Status.CONFIRMED, actor=owner)
        issue_link(company, customer=customer_a, actor=owner)
        issue_link(company, customer=customer_a, actor=owner)  # already there: nothing happened
        regenerate_link(company, customer=customer_a, actor=owner)
        revoke_link(company, customer=customer_a, actor=owner)
        segment = create_segment(company, name="Hot", query=QueryDict("temperature=hot"), shared=True, actor=owner)
        rename_segment(company, segment=segment, name="Hottest", actor=owner)
        delete_segment(company, segment=segment, actor=owner)
        set_exchange_rate(company, currency="USD", rate=Decimal("90.5"), actor=owner)

    log = entries(company)
    assert [e.action for e in log if e.action != Action.CUSTOMER_CREATED] == [
        Action.ORDER_PLACED,
        Action.ORDER_STATUS_CHANGED,
        Action.QUICK_LINK_ISSUED,
        Action.QUICK_LINK_REGENERATED,
        Action.QUICK_LINK_REVOKED,
        Action.SEGMENT_CREATED,
        Action.SEGMENT_EDITED,
        Action.SEGMENT_DELETED,
        Action.RATE_SET,
    ]
    placed = next(e for e in log if e.action == Action.ORDER_PLACED)
    assert placed.actor_type == "customer" and placed.details["total"] == "20.00"
    status = next(e for e in log if e.action == Action.ORDER_STATUS_CHANGED)
    assert status.changes == [{"field": "status", "old": "new", "new": "confirmed"}]
    renamed = next(e for e in log if e.action == Action.SEGMENT_EDITED)
    assert renamed.changes == [{"field": "name", "old": "Hot", "new": "Hottest"}]


def test_audiences_and_rules_are_logged_by_their_criteria_never_by_what_was_searched(
    world, customer_a, owner_client, django_capture_on_commit_callbacks
):
    with scope(company=world.company_a):
        vip = customer_a.labels.get()
    query = "q=Anna+Smirnova&city=Tver"
    owner_client.post(
        reverse("customers:bulk_label"),
        {"label": vip.pk, "action": "remove", "all_matching": "1", "filter_query": query},
    )
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("exports:create"), {"audience": "filter", "filter_query": query})
    with scope(company=world.company_a):
        segment = create_segment(
            world.company_a, name="Northern", query=QueryDict(query), shared=True, actor=world.owner_a
        )
        update_segment(world.company_a, segment=segment, query=QueryDict("q=%2B79161234567"), actor=world.owner_a)
    log = entries(world.company_a)
    removed = next(e for e in log if e.action == Action.LABEL_REMOVED)
    assert removed.details["audience"] == "Filter: search, City"
    requested = next(e for e in log if e.action == Action.EXPORT_REQUESTED)
    assert requested.object_label == "Filter: search, City"
    everything = repr([(e.object_label, e.changes, e.details) for e in log])
    assert "Anna" not in everything and "Tver" not in everything and "79161234567" not in everything


def test_a_change_that_fails_writes_no_entry(world, customer_a):
    company = world.company_a
    with scope(company=company):
        with pytest.raises(ValidationError):
            customer_services.create_label(company, name="VIP", color="#198754", actor=world.owner_a)  # taken
        # An entry is written in the change's transaction and rolls back with it.
        with pytest.raises(RuntimeError), transaction.atomic():
            customer_services.create_label(company, name="Gold", color="#198754", actor=world.owner_a)
            raise RuntimeError("what came after the change failed")
    assert actions(company) == [Action.CUSTOMER_CREATED]


def test_sign_ins_failed_sign_ins_and_company_switches_reach_each_company_of_the_account(world, client):
    Membership.objects.create(company=world.company_b, user=world.admin_a, role=Membership.Role.MANAGER)
    client.post(reverse("login"), {"username": "admin@a.example", "password": "wrong"}, REMOTE_ADDR="203.0.113.9")
    client.post(reverse("login"), {"username": "nobody@a.example", "password": "wrong"})
    client.post(reverse("login"), {"username": "admin@a.example", "password": "secret-password"})
    client.post(reverse("companies:switch"), {"company": world.company_b.pk}, REMOTE_ADDR="203.0.113.10")

    for company in (world.company_a, world.company_b):
        failed, signed_in = entries(company)[:2]
        assert failed.action == Action.SIGN_IN_FAILED and failed.actor is None
        assert failed.actor_label == "admin@a.example" and failed.ip_address == "203.0.113.9"
        assert signed_in.action == Action.SIGNED_IN and signed_in.actor == world.admin_a
    [switched] = entries(world.company_b, action=Action.COMPANY_SWITCHED)
    assert switched.actor == world.admin_a and switched.ip_address == "203.0.113.10"


def test_portal_admins_membership_changes_are_in_the_companys_log(world, client):
    portal = UserFactory(email="portal@example.com", is_staff=True, is_superuser=True)
    client.force_login(portal)
    membership = Membership.objects.get(company=world.company_a, user=world.manager_a)
    url = reverse("admin:companies_membership_change", args=[membership.pk])
    data = {"user": world.manager_a.pk, "company": world.company_a.pk, "role": "admin"}
    assert client.post(url, data).status_code == 302
    newcomer = UserFactory(email="new@a.example")
    add = {"user": newcomer.pk, "company": world.company_a.pk, "role": "manager"}
    assert client.post(reverse("admin:companies_membership_add"), add).status_code == 302
    added = Membership.objects.get(user=newcomer)
    delete = reverse("admin:companies_membership_delete", args=[added.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302

    log = entries(world.company_a)
    assert [e.action for e in log] == [Action.MEMBER_ROLE_CHANGED, Action.MEMBER_ADDED, Action.MEMBER_REMOVED]
    assert log[0].changes == [{"field": "role", "old": "manager", "new": "admin"}]
    assert all(e.actor == portal for e in log)
    assert log[1].object_label == "new@a.example"


def test_downloads_of_exports_are_in_the_log(world, owner_client, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    (tmp_path / "file.xlsx").write_bytes(b"x")
    with scope(company=world.company_a):
        export = Export.objects.create(
            company=world.company_a,
            requested_by=world.owner_a,
            email=world.owner_a.email,
            language="en",
            audience="all",
            description="All customers",
            status=Export.Status.DONE,
            file_name="file.xlsx",
            expires_at=timezone.now() + timedelta(days=1),
        )
    response = owner_client.get(export.get_download_url(), REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 200
    [downloaded] = entries(world.company_a, action=Action.EXPORT_DOWNLOADED)
    assert downloaded.actor == world.owner_a and downloaded.object_id == export.pk
    assert downloaded.ip_address == "198.51.100.7" and downloaded.object_label == "All customers"


def test_entries_are_never_changed(world):
    with scope(company=world.company_a):
        entry = record(world.company_a, actor=world.owner_a, action=Action.SIGNED_IN)
        entry.action = Action.CUSTOMER_DELETED
        with pytest.raises(Exception, match="never changed"):
            entry.save()
        # Not even a queryset update or raw SQL gets past the database.
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).update(action=Action.CUSTOMER_DELETED)
    assert entries(world.company_a)[0].action == Action.SIGNED_IN


def test_a_deleted_staff_account_leaves_its_entries_with_its_name(world):
    with scope(company=world.company_a):
        record(world.company_a, actor=world.manager_a, action=Action.SIGNED_IN)
    world.manager_a.delete()
    [entry] = entries(world.company_a)
    assert entry.actor is None and entry.actor_label == "manager@a.example" and entry.who == "manager@a.example"
    # Only that link may go: anything else of the entry is still refused.
    with scope(company=world.company_a), pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor_label="someone else")


def test_the_retention_sweep_deletes_only_what_is_older_than_the_period(world, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    with scope(company=world.company_a):
        for days in (31, 29):
            AuditEntry.objects.create(
                company=world.company_a, action=Action.SIGNED_IN, created_at=timezone.now() - timedelta(days=days)
            )
    assert delete_expired_entries.delay().get() == 1
    [kept] = entries(world.company_a)
    assert timezone.now() - kept.created_at < timedelta(days=30)


# The activity log page ----------------------------------------------------------------------------


@pytest.fixture
def busy_log(world):
    """Company A's log with sixty entries of two people and the system; B with one of its own."""
    with scope(company=world.company_a):
        for n in range(60):
            actor = world.owner_a if n % 2 else world.manager_a
            customer_services.create_label(world.company_a, name=f"Label {n}", color="#198754", actor=actor)
        make_customer(world.company_a, name="By the system")
    record(world.company_b, actor=world.user_b, action=Action.LABEL_CREATED, label="Beta secret label")


def rows(response) -> int:
    return response.content.decode().count('data-testid="activity-row"')


def test_owners_and_admins_read_the_log_newest_first_paged_by_keyset(world, busy_log, owner_client):
    page = owner_client.get(reverse("audit:log"))
    assert page.status_code == 200
    assert rows(page) == queries.PAGE
    html = page.content.decode()
    assert html.index("By the system") < html.index("Label 59") < html.index("Label 58")  # newest first
    assert "Beta secret label" not in html
    oldest = page.context["oldest_id"]
    older = owner_client.get(reverse("audit:log"), {"before": oldest})
    total = len(entries(world.company_a))  # sixty labels, a customer, the owner's sign-in
    assert total == 62
    assert rows(older) == total - queries.PAGE and "Label 0" in older.content.decode()
    newer = owner_client.get(reverse("audit:log"), {"after": older.context["newest_id"]})
    assert [e.pk for e in newer.context["entries"]] == [e.pk for e in page.context["entries"]]
    assert world.client_for(world.admin_a).get(reverse("audit:log")).status_code == 200
    assert world.client_for(world.manager_a).get(reverse("audit:log")).status_code == 403


def test_the_log_filters_by_who_action_and_days(world, busy_log, owner_client):
    by_manager = owner_client.get(reverse("audit:log"), {"who": world.manager_a.pk})
    assert rows(by_manager) == 30
    by_system = owner_client.get(reverse("audit:log"), {"who": "type:system"})
    assert rows(by_system) == 1 and "By the system" in by_system.content.decode()
    created = owner_client.get(reverse("audit:log"), {"action": Action.CUSTOMER_CREATED})
    assert rows(created) == 1
    today = timezone.localdate()
    assert rows(owner_client.get(reverse("audit:log"), {"since": today, "until": today})) == queries.PAGE
    assert rows(owner_client.get(reverse("audit:log"), {"until": today - timedelta(days=1)})) == 0


def test_a_small_date_window_is_sorted_not_walked_and_pages_like_the_whole_log(world, busy_log, owner_client):
    today = timezone.localdate()
    window = {"since": today, "until": today}
    with scope(company=world.company_a):
        assert queries.is_small_window(world.company_a, window)
        assert not queries.is_small_window(world.company_a, {})
        in_window = queries.entries_for(world.company_a, window)
        first = queries.page_of(in_window, small_window=True)
        assert first == queries.page_of(in_window)
        before = first[0][-1].id
        assert queries.page_of(in_window, before=before, small_window=True) == queries.page_of(in_window, before=before)
        assert queries.page_of(in_window, after=before, small_window=True) == queries.page_of(in_window, after=before)
    page = owner_client.get(reverse("audit:log"), window)
    older = owner_client.get(reverse("audit:log"), {**window, "before": page.context["oldest_id"]})
    assert rows(page) == queries.PAGE and rows(older) == 62 - queries.PAGE


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2026-13-40"}, "Enter a valid date."),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "The last day comes before the first."),
        ({"who": "99999999"}, "Select a valid choice."),
        ({"action": "customer.stolen"}, "Select a valid choice."),
        ({"before": "abc", "after": "x" * 500}, ""),
        ({"until": "9999-12-31"}, "Choose a day between 2000 and 2100."),
        ({"since": "0001-01-01"}, "Choose a day between 2000 and 2100."),
    ],
)
def test_bad_filters_are_shown_next_to_the_field_and_the_rest_still_works(
    world, busy_log, owner_client, params, message
):
    response = owner_client.get(reverse("audit:log"), params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert rows(response) == queries.PAGE  # the bad filter is left out


def test_a_page_of_the_log_costs_the_same_queries_however_many_entries_it_shows(world, owner_client):
    counts = []
    for total in (3, 40):
        with scope(company=world.company_a):
            for n in range(total):
                customer = make_customer(
                    world.company_a, name=f"Customer {total}-{n}", phones=[f"+7916{total:03d}{n:04d}"]
                )
                record(world.company_a, actor=world.owner_a, action=Action.CUSTOMER_EDITED, target=customer)
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(reverse("audit:log")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_log_exports_to_excel_with_its_filters(
    world, busy_log, owner_client, django_capture_on_commit_callbacks, tmp_path, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("exports:activity"), {"who": world.manager_a.pk})
    assert response.status_code == 302
    with scope(company=world.company_a):
        export = Export.objects.get(audience=Export.Audience.ACTIVITY)
    assert export.status == Export.Status.DONE, export.error
    assert export.description == "Activity log: manager@a.example"
    download = owner_client.get(export.get_download_url())
    assert download["Content-Disposition"].startswith('attachment; filename="activity-')
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["When", "Who", "Action", "Object"]
    assert len(values) == 1 + 30
    assert {row[1] for row in values[1:]} == {"manager@a.example"}
    assert values[1][2] == "Label created" and values[1][3] == "Label 58"


def test_a_long_log_continues_on_a_next_sheet(
    world, busy_log, owner_client, django_capture_on_commit_callbacks, tmp_path, settings
):
    settings.EXPORT_SHEET_ROWS = 25
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("exports:activity"), {"since": timezone.localdate().isoformat()})
    with scope(company=world.company_a):
        export = Export.objects.get(audience=Export.Audience.ACTIVITY)
    download = owner_client.get(export.get_download_url())
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert [sheet.title for sheet in workbook.worksheets] == ["Activity log", "Activity log (2)", "Activity log (3)"]
    assert sum(sheet.max_row - 1 for sheet in workbook.worksheets) == export.rows_written == 63  # with its own request


def test_company_b_never_sees_company_a_entries(world, busy_log, b_client):
    html = b_client.get(reverse("audit:log")).content.decode()
    assert "Beta secret label" in html and "Label 1" not in html
    with scopes_disabled():
        assert AuditEntry.objects.filter(company=world.company_b).count() == 2  # with B's sign-in
