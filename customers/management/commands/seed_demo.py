"""Fills a demo company with realistic customers: `make run` uses 300, benchmarks a million."""

import itertools
import random
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from companies.models import Company, Membership, User
from customers.models import Customer, CustomerEmail, CustomerLabel, CustomerPhone, Label, Note
from customers.services import build_search_document

DEMO_PASSWORD = "demo-password"
OWNER_EMAIL = "owner@demo.example"
MANAGER_EMAIL = "manager@demo.example"
PORTAL_ADMIN_EMAIL = "admin@portal.example"
BATCH = 5000
COPY_BATCH = 20_000

MALE_FIRST = [
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Артём",
    "Илья",
    "Иван",
    "Михаил",
    "Никита",
    "Егор",
    "Павел",
    "Роман",
    "Олег",
    "Виктор",
    "Денис",
    "Евгений",
    "Кирилл",
    "Антон",
]
FEMALE_FIRST = [
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Екатерина",
    "Светлана",
    "Юлия",
    "Анастасия",
    "Дарья",
    "Ксения",
    "Полина",
    "Виктория",
    "Алина",
    "Марина",
    "Вера",
    "Софья",
    "Людмила",
]
LAST = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
]
LATIN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}
CITIES = [
    ("Москва", "Москва"),
    ("Санкт-Петербург", "Санкт-Петербург"),
    ("Московская область", "Химки"),
    ("Свердловская область", "Екатеринбург"),
    ("Новосибирская область", "Новосибирск"),
    ("Республика Татарстан", "Казань"),
    ("Нижегородская область", "Нижний Новгород"),
    ("Краснодарский край", "Краснодар"),
    ("", ""),
]
LABELS = [
    ("VIP", "#dc3545"),
    ("Опт", "#0d6efd"),
    ("Перезвонить", "#ffc107"),
    ("Постоянный", "#198754"),
    ("Рассылка", "#6f42c1"),
    ("Новичок", "#20c997"),
]
NOTES = [
    "Просил звонить после 18:00.",
    "Предпочитает доставку курьером.",
    "Интересовался оптовыми ценами.",
    "Жаловался на задержку доставки, решили скидкой.",
    "День рождения в этом месяце — предложить подарок.",
    "Оплачивает по счёту, нужен УПД.",
]
DOMAINS = ["mail.example", "inbox.example", "post.example", "corp.example"]


def _latin(text: str) -> str:
    return "".join(LATIN.get(ch, ch) for ch in text.lower())


@contextmanager
def _keep_given_created_at():
    """Lets the seed spread customers over past dates instead of stamping them all "now"."""
    field = Customer._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


class Command(BaseCommand):
    help = "Creates a demo company with N customers (phones, emails, labels, notes, order figures) and its users."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=300)
        parser.add_argument("--company", default="Demo Shop")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if the demo company exists.")
        parser.add_argument("--replace", action="store_true", help="Delete the demo company first if it exists.")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, customers, company, if_empty, replace, seed, **options):
        if customers < 0:
            raise CommandError("--customers must be zero or more")
        # Seeding creates companies and users, which no company scope can cover.
        with scopes_disabled():
            existing = Company.objects.filter(name=company).first()
            if existing and if_empty:
                self.stdout.write(f"{company} already exists; leaving it as it is.")
                self._print_sign_in()
                return
            if existing and not replace:
                raise CommandError(f"{company} already exists; pass --replace to build it again.")
            if existing:
                self.stdout.write(f"Deleting the old {company}…")
                existing.delete()
            started = time.monotonic()
            demo = self._create_company(company)
            self._create_customers(demo, customers, random.Random(seed))
        self.stdout.write(f"Created {customers} customers in {time.monotonic() - started:.1f}s.")
        self._print_sign_in()

    def _print_sign_in(self):
        self.stdout.write(
            self.style.SUCCESS(
                "\nSign in at http://127.0.0.1:8000/ with\n"
                f"  owner:   {OWNER_EMAIL} / {DEMO_PASSWORD}\n"
                f"  manager: {MANAGER_EMAIL} / {DEMO_PASSWORD}\n"
                f"Portal admin (Django admin at /admin/): {PORTAL_ADMIN_EMAIL} / {DEMO_PASSWORD}\n"
            )
        )

    @transaction.atomic
    def _create_company(self, name: str) -> Company:
        owner = self._user(OWNER_EMAIL, "Ольга", "Владелец")
        manager = self._user(MANAGER_EMAIL, "Михаил", "Менеджер")
        admin = self._user(PORTAL_ADMIN_EMAIL, "Portal", "Admin")
        if not admin.is_staff:
            admin.is_staff = admin.is_superuser = True
            admin.save()
        company = Company.objects.create(name=name, plan=Company.Plan.PAID, default_region="RU", language="ru")
        Membership.objects.create(company=company, user=owner, role=Membership.Role.OWNER)
        Membership.objects.create(company=company, user=manager, role=Membership.Role.MANAGER)
        bakery, _created = Company.objects.get_or_create(name="Free Plan Bakery", defaults={"plan": Company.Plan.FREE})
        Membership.objects.get_or_create(company=bakery, user=owner, defaults={"role": Membership.Role.OWNER})
        return company

    def _user(self, email: str, first: str, last: str) -> User:
        user, created = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _create_customers(self, company: Company, count: int, rng: random.Random) -> None:
        labels = Label.objects.bulk_create([Label(company=company, name=n, color=c) for n, c in LABELS])
        owner = User.objects.get(email=OWNER_EMAIL)
        now = timezone.now()
        # PostgreSQL takes rows through COPY, several times faster than INSERTs for a million
        # customers; SQLite (`make run`) goes through bulk_create. Both write the same data.
        postgres = connection.vendor == "postgresql"
        batch = COPY_BATCH if postgres else BATCH
        done = 0
        with _keep_given_created_at():
            while done < count:
                size = min(batch, count - done)
                records = [_customer_record(i, rng, now, len(labels)) for i in range(done, done + size)]
                with transaction.atomic():
                    if postgres:
                        _copy_batch(company, records, labels, owner, now)
                    else:
                        _insert_batch(company, records, labels, owner)
                done += size
                if count >= 50_000 and done % 100_000 < batch:
                    self.stdout.write(f"  {done} customers…")
        if postgres:
            started = time.monotonic()
            self._refresh_statistics()
            self.stdout.write(f"  VACUUM (ANALYZE) in {time.monotonic() - started:.1f}s")

    def _refresh_statistics(self):
        """Fresh planner statistics, a set visibility map and an empty GIN pending list.

        What autovacuum would reach minutes later; without it the first searches read the
        trigram index's pending list and counts cannot use index-only scans.
        """
        tables = [model._meta.db_table for model in (Customer, CustomerPhone, CustomerEmail, CustomerLabel, Note)]
        with connection.cursor() as cursor:
            if connection.in_atomic_block:  # VACUUM cannot run inside a transaction
                cursor.execute(f"ANALYZE {', '.join(tables)}")
            else:
                cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")


class _Record(NamedTuple):
    """One generated customer: its own fields, contacts, label positions and an optional note."""

    fields: dict
    phones: list[str]
    emails: list[str]
    labels: list[int]
    note: tuple[str, int] | None


def _customer_record(i: int, rng: random.Random, now, label_count: int) -> _Record:
    female = rng.random() < 0.55
    first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
    last = rng.choice(LAST) + ("а" if female else "")
    full_name = f"{last} {first}"
    # A bijection of i onto 9xx xxx-xx-xx keeps every demo phone unique (3^18 is coprime to 10^9).
    number = f"+7{9_000_000_000 + (i * 387_420_489 + 12_345) % 1_000_000_000}"
    # Second phones are Moscow landlines, so they never collide with the mobiles.
    extra_phone = f"+7495{i * 3_486_784_401 % 10_000_000:07d}" if rng.random() < 0.1 else None
    email = f"{_latin(first)}.{_latin(last)}{i}@{rng.choice(DOMAINS)}" if rng.random() < 0.7 else None
    region, city = rng.choice(CITIES)
    created = now - timedelta(days=rng.random() * 1100)
    orders = int(rng.expovariate(0.35)) if rng.random() < 0.8 else 0
    first_order = last_order = None
    total = Decimal("0")
    if orders:
        first_order = min(created + timedelta(days=rng.random() * 30), now)
        last_order = first_order + (now - first_order) * rng.random()
        total = Decimal(sum(rng.randint(500, 15_000) for _ in range(min(orders, 30))))
    phones = [number] + ([extra_phone] if extra_phone else [])
    emails = [email] if email else []
    fields = {
        "full_name": full_name,
        "gender": Customer.Gender.FEMALE.value if female else Customer.Gender.MALE.value,
        "birthday": (now - timedelta(days=rng.randint(18 * 365, 70 * 365))).date() if rng.random() < 0.6 else None,
        "region": region,
        "city": city,
        "status": Customer.Status.CURRENT.value if orders else Customer.Status.POTENTIAL.value,
        "temperature": rng.choice(["", "hot", "warm", "cold", "not_interested"]),
        "acquisition_channel": rng.choice(["order", "order", "quick_link", "message", "manual", "import"]),
        "is_favourite": rng.random() < 0.03,
        "sms_consent": rng.random() < 0.9,
        "discount_percent": Decimal(rng.choice([0, 0, 0, 3, 5, 10])),
        "created_at": created,
        "orders_count": orders,
        "orders_sum": total,
        "first_order_at": first_order,
        "last_order_at": last_order,
        "last_activity_at": last_order,
        "search_document": build_search_document(full_name, phones, emails),
    }
    picked = rng.sample(range(label_count), k=rng.choice([0, 0, 1, 1, 2])) if label_count else []
    note = (rng.choice(NOTES), rng.choice([0, 0, 1, 2])) if rng.random() < 0.15 else None
    return _Record(fields, phones, emails, picked, note)


def _insert_batch(company, records, labels, owner):
    customers = [Customer(company=company, **record.fields) for record in records]
    Customer.objects.bulk_create(customers, batch_size=BATCH)
    CustomerPhone.objects.bulk_create(
        [
            CustomerPhone(company=company, customer=customer, number=n, position=p)
            for customer, record in zip(customers, records, strict=True)
            for p, n in enumerate(record.phones)
        ],
        batch_size=BATCH,
    )
    CustomerEmail.objects.bulk_create(
        [
            CustomerEmail(company=company, customer=customer, email=e, position=p)
            for customer, record in zip(customers, records, strict=True)
            for p, e in enumerate(record.emails)
        ],
        batch_size=BATCH,
    )
    CustomerLabel.objects.bulk_create(
        [
            CustomerLabel(company=company, customer=customer, label=labels[k])
            for customer, record in zip(customers, records, strict=True)
            for k in record.labels
        ],
        batch_size=BATCH,
    )
    Note.objects.bulk_create(
        [
            Note(company=company, customer=customer, author=owner, text=record.note[0], priority=record.note[1])
            for customer, record in zip(customers, records, strict=True)
            if record.note
        ],
        batch_size=BATCH,
    )


def _copy_batch(company, records, labels, owner, now):
    """The same rows as _insert_batch, written with PostgreSQL's COPY (psycopg 3)."""
    with connection.cursor() as cursor:
        # Losing the last batches in a crash is harmless for demo data; waiting for each flush is not.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Customer._meta.db_table, len(records)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        _copy(
            cursor,
            Customer,
            now,
            ({"id": pk, "company_id": company.pk, **r.fields} for pk, r in zip(ids, records, strict=True)),
        )
        _copy(
            cursor,
            CustomerPhone,
            now,
            (
                {"company_id": company.pk, "customer_id": pk, "number": n, "position": p}
                for pk, r in zip(ids, records, strict=True)
                for p, n in enumerate(r.phones)
            ),
        )
        _copy(
            cursor,
            CustomerEmail,
            now,
            (
                {"company_id": company.pk, "customer_id": pk, "email": e, "position": p}
                for pk, r in zip(ids, records, strict=True)
                for p, e in enumerate(r.emails)
            ),
        )
        _copy(
            cursor,
            CustomerLabel,
            now,
            (
                {"company_id": company.pk, "customer_id": pk, "label_id": labels[k].pk}
                for pk, r in zip(ids, records, strict=True)
                for k in r.labels
            ),
        )
        _copy(
            cursor,
            Note,
            now,
            (
                {
                    "company_id": company.pk,
                    "customer_id": pk,
                    "author_id": owner.pk,
                    "text": r.note[0],
                    "priority": r.note[1],
                }
                for pk, r in zip(ids, records, strict=True)
                if r.note
            ),
        )


def _copy(cursor, model, now, rows):
    """COPYs dicts of attname → value into the model's table; missing fields get their defaults.

    Every column is written, because Django's defaults live in Python, not in the database. The id
    goes in only when the rows carry one; otherwise the table's identity fills it.
    """
    first = next(rows, None)
    if first is None:
        return
    columns = []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.attname not in first:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default = now
        else:
            default = None if field.primary_key else field.get_default()
        columns.append((field.attname, field.column, default))
    names = ", ".join(connection.ops.quote_name(column) for _attname, column, _default in columns)
    pairs = [(attname, default) for attname, _column, default in columns]
    with cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN") as copy:
        for row in itertools.chain([first], rows):
            copy.write_row([row.get(attname, default) for attname, default in pairs])
