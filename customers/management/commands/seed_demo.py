"""Fills a demo company with realistic customers: `make run` uses 300, benchmarks a million."""

import itertools
import random
import time
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from companies.deletion import delete_company_now
from companies.models import Company, ExchangeRate, Membership, User
from companies.services import add_member, create_company
from customers import duplicates
from customers.models import Customer, CustomerEmail, CustomerLabel, CustomerPhone, DuplicateCandidate, Label, Note
from customers.services import build_search_document
from exports.models import Export
from exports.services import request_export
from orders.demo import add_demo_catalog
from orders.models import Order, OrderItem, OrderStatusChange, Product
from orders.services import money, rebuild_order_days
from quicklinks.services import issue_link
from segments.services import create_segment

DEMO_PASSWORD = "demo-password"
OWNER_EMAIL = "owner@demo.example"
MANAGER_EMAIL = "manager@demo.example"
PORTAL_ADMIN_EMAIL = "admin@portal.example"
BATCH = 5000
SHOWCASE_LINKS = 12
COPY_BATCH = 20_000
# From this many customers on, PostgreSQL loads without foreign keys and plain indexes, then adds them.
BULK_LOAD_CUSTOMERS = 100_000
SEEDED_MODELS = (Customer, CustomerPhone, CustomerEmail, CustomerLabel, Note, Order, OrderItem, OrderStatusChange)

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
URGENT_NOTES = [
    "Срочно перезвонить: претензия по последнему заказу.",
    "Аллергия на лилии — не класть в букеты!",
    "Ждёт возврата предоплаты, обещали до пятницы.",
]
DOMAINS = ["mail.example", "inbox.example", "post.example", "corp.example"]
# Units of the base currency (RUB) per unit.
RATES = {"USD": Decimal("92.500000"), "EUR": Decimal("100.200000")}
# name, SKU, price, currency, active
PRODUCTS = [
    ("Букет «Весна»", "BQ-001", "2490.00", "RUB", True),
    ("Розы красные, 11 шт.", "RS-011", "3300.00", "RUB", True),
    ("Розы белые, 25 шт.", "RS-025", "6900.00", "RUB", True),
    ("Тюльпаны, 15 шт.", "TL-015", "1950.00", "RUB", True),
    ("Композиция в коробке", "BX-100", "4200.00", "RUB", True),
    ("Открытка ручной работы", "CD-001", "350.00", "RUB", True),
    ("Воздушные шары, набор", "BL-010", "1200.00", "RUB", True),
    ("Ваза стеклянная (Италия)", "VS-IT1", "45.00", "EUR", True),
    ("Свеча ароматическая", "CN-US1", "12.50", "USD", True),
    ("Доставка по городу", "DL-CITY", "500.00", "RUB", True),
    ("Букет «Лето» (снят с продажи)", "BQ-002", "2790.00", "RUB", False),
]


def _latin(text: str) -> str:
    return "".join(LATIN.get(ch, ch) for ch in text.lower())


@contextmanager
def _bulk_load(models, stdout):
    """The classic bulk load: drop the tables' foreign keys and plain indexes, load, add them back.

    Checking a foreign key row by row and keeping a trigram index up to date row by row cost far
    more than validating each key in one join and building each index once over the loaded table.
    Primary keys and unique constraints stay, so duplicates are still refused as rows go in; the
    foreign keys are validated when they are added back. Both come back even if loading fails.
    """
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema() "
            "AND tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem TO '512MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
        stdout.write(
            f"  built {len(indexes)} indexes and checked {len(foreign_keys)} foreign keys "
            f"in {time.monotonic() - started:.1f}s"
        )


@contextmanager
def _keep_given_created_at():
    """Lets the seed spread customers and orders over past dates instead of stamping them "now"."""
    fields = [model._meta.get_field("created_at") for model in (Customer, Order, OrderStatusChange)]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


class Command(BaseCommand):
    help = (
        "Creates a demo company with its users, a catalog, exchange rates and N customers "
        "(phones, emails, labels, notes) with about three orders each."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=300)
        parser.add_argument("--company", default="Demo Shop")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if the demo company exists.")
        parser.add_argument("--replace", action="store_true", help="Delete the demo company first if it exists.")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--catalog-products",
            type=int,
            default=120,
            help="Products with pictures added to the catalog's categories, to page through (default 120).",
        )

    def handle(self, *args, customers, company, if_empty, replace, seed, catalog_products, **options):
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
                delete_company_now(existing)
            started = time.monotonic()
            demo = self._create_company(company)
            twins = min(customers // 2, max(3, customers // 500))
            self._create_customers(demo, customers - twins, random.Random(seed))
            self._add_legacy_twins(demo, twins)
            self._add_showcase(demo)
            # After the orders, which stay on the original products (and so do the benchmarks).
            add_demo_catalog(demo, extra_products=catalog_products)
            if connection.vendor == "postgresql":
                started = time.monotonic()
                self._refresh_statistics()
                self.stdout.write(f"  VACUUM (ANALYZE) in {time.monotonic() - started:.1f}s")
        self.stdout.write(f"Created {customers} customers and their orders in {time.monotonic() - started:.1f}s.")
        self._print_sign_in()

    def _print_sign_in(self):
        self.stdout.write(
            self.style.SUCCESS(
                f"\nSign in at {settings.SITE_URL}/ with\n"
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
        company = create_company(name=name, owner=owner, plan=Company.Plan.PAID, default_region="RU", language="ru")
        add_member(company, user=manager, role=Membership.Role.MANAGER, actor=owner)
        if not Company.objects.filter(name="Free Plan Bakery").exists():
            create_company(name="Free Plan Bakery", owner=owner, plan=Company.Plan.FREE)
        ExchangeRate.objects.bulk_create(
            [ExchangeRate(company=company, currency=c, rate=r, updated_by=owner) for c, r in RATES.items()]
        )
        Product.objects.bulk_create(
            [
                Product(company=company, name=n, sku=sku, price=Decimal(price), currency=cur, is_active=active)
                for n, sku, price, cur, active in PRODUCTS
            ]
        )
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
        catalog = _Catalog(company)
        # PostgreSQL takes rows through COPY, several times faster than INSERTs for a million
        # customers; SQLite (`make run`) goes through bulk_create. Both write the same data.
        postgres = connection.vendor == "postgresql"
        batch = COPY_BATCH if postgres else BATCH
        bulk = postgres and count >= BULK_LOAD_CUSTOMERS
        with (
            _keep_given_created_at(),
            _bulk_load(SEEDED_MODELS, self.stdout) if bulk else nullcontext(),
        ):
            done = 0
            while done < count:
                size = min(batch, count - done)
                records = [_customer_record(i, rng, now, len(labels), catalog) for i in range(done, done + size)]
                with transaction.atomic():
                    if postgres:
                        ids = _copy_batch(company, records, labels, owner, now)
                        _copy_orders(company, ids, records, catalog, owner, now)
                    else:
                        ids = _insert_batch(company, records, labels, owner)
                        _insert_orders(company, ids, records, catalog, owner)
                done += size
                if count >= 50_000 and done % 100_000 < batch:
                    self.stdout.write(f"  {done} customers…")
            started = time.monotonic()
            total = _number_orders_by_date(company)
            self.stdout.write(f"  numbered {total} orders by date in {time.monotonic() - started:.1f}s")
            started = time.monotonic()
            days = rebuild_order_days(company)  # the start page's figures, as the services keep them
            self.stdout.write(f"  counted orders per day and status ({days} rows) in {time.monotonic() - started:.1f}s")

    def _add_legacy_twins(self, company: Company, wanted: int) -> None:
        """About one card in 500 (at least three) has a twin saved by an old import: the same name
        with the number under another country code. The duplicate search finds them for the demo."""
        originals = (
            CustomerPhone.objects.filter(company=company, number__startswith="+7", position=0)
            .order_by("customer_id")
            .values_list("number", "customer__full_name", "customer__created_at")[:wanted]
        )
        now = timezone.now()
        twins, numbers = [], []
        for number, name, original_created in originals:
            legacy = "+1" + number[2:]
            twins.append(
                Customer(
                    company=company,
                    full_name=name,
                    acquisition_channel=Customer.Channel.IMPORT,
                    search_document=build_search_document(name, [legacy], []),
                    # Imported a while after the original, not among the newest cards at the top.
                    created_at=original_created + (now - original_created) * 0.4,
                )
            )
            numbers.append(legacy)
        with transaction.atomic(), _keep_given_created_at():
            Customer.objects.bulk_create(twins)
            CustomerPhone.objects.bulk_create(
                [
                    CustomerPhone(company=company, customer=twin, number=n)
                    for twin, n in zip(twins, numbers, strict=True)
                ]
            )
        started = time.monotonic()
        found = duplicates.scan(company)
        self.stdout.write(f"  {found} possible duplicates found in {time.monotonic() - started:.1f}s")

    def _add_showcase(self, company: Company) -> None:
        """What the data itself does not show: a saved segment, quick links and an export in the
        log. A fixed handful of rows through the app's services, whatever the number of customers."""
        owner = User.objects.get(email=OWNER_EMAIL)
        with scope(company=company), translation.override(company.language):
            vip = Label.objects.get(company=company, name="VIP")
            create_segment(
                company, name="VIP", query=QueryDict(f"labels_mode=any&labels={vip.pk}"), shared=True, actor=owner
            )
            first = list(
                Customer.objects.filter(company=company, is_blocked=False, phones__isnull=False)
                .order_by("pk")
                .values_list("pk", flat=True)
                .distinct()[:SHOWCASE_LINKS]
            )
            for customer in Customer.objects.filter(pk__in=first):
                issue_link(company, customer=customer, actor=owner)
            try:
                request_export(company, user=owner, audience=Export.Audience.SELECTION, ids=first)
            except Exception as error:  # the demo works without it, e.g. with no worker or storage
                self.stderr.write(f"  no demo export: {error}")

    def _refresh_statistics(self):
        """Fresh planner statistics, a set visibility map and an empty GIN pending list.

        What autovacuum would reach minutes later; without it the first searches read the
        trigram index's pending list and counts cannot use index-only scans.
        """
        tables = [model._meta.db_table for model in (*SEEDED_MODELS, DuplicateCandidate)]
        with connection.cursor() as cursor:
            if connection.in_atomic_block:  # VACUUM cannot run inside a transaction
                cursor.execute(f"ANALYZE {', '.join(tables)}")
            else:
                cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")


class _Catalog:
    """The demo company's products and its prices per (product, currency, discount), computed once."""

    def __init__(self, company: Company):
        self.company = company
        self.products = list(Product.objects.filter(company=company).order_by("pk"))
        self.active = [p for p in self.products if p.is_active]
        self.rates = {**RATES, company.base_currency: Decimal("1")}
        self._prices: dict[tuple[int, str, Decimal], Decimal] = {}
        # Orders get a placeholder number while batches go in, then are numbered by date.
        self._numbers = itertools.count(PLACEHOLDER_NUMBERS)

    def placeholder_number(self) -> int:
        return next(self._numbers)

    def price(self, product: Product, currency: str, discount: Decimal) -> Decimal:
        key = (product.pk, currency, discount)
        if key not in self._prices:
            in_base = product.price * self.rates[product.currency]
            converted = in_base / self.rates[currency]
            self._prices[key] = money(converted * (Decimal("100") - discount) / Decimal("100"))
        return self._prices[key]


class _Order(NamedTuple):
    fields: dict
    items: list[tuple[Product, int, Decimal]]  # product, quantity, unit price
    history: list[tuple[str, str, object]]  # from status, to status, when


class _Record(NamedTuple):
    """One generated customer: its fields, contacts, label positions, an optional note, orders."""

    fields: dict
    phones: list[str]
    emails: list[str]
    labels: list[int]
    note: tuple[str, int] | None
    orders: list[_Order]


PLACEHOLDER_NUMBERS = 1_000_000_000
SOURCES = ["staff", "staff", "staff", "quick_link", "quick_link", "message", "import"]
PAYMENTS = ["", "cash", "card", "card", "transfer", "online"]
FULL_PATH = ["new", "confirmed", "in_production", "shipped", "completed"]
CANCELLED_SHARE = 0.08
# Of the orders not cancelled, the share completed by age (days): about 70% of all orders end
# completed, the older the likelier; the rest are new, confirmed, in production or shipped.
COMPLETED_BY_AGE = [(365, 0.88), (90, 0.8), (21, 0.65), (7, 0.3), (0, 0.08)]
BLOCK_REASONS = ["Не выкупил два заказа", "Грубил курьеру", "Оплата не прошла трижды"]
CONSENT_SOURCES = ["told_staff", "order_form", "order_form", "written", "import"]
# One customer in BIRTHDAY_EVERY has a birthday in the next two weeks, for the birthday filter.
BIRTHDAY_EVERY = 25
BLOCKED_EVERY = 97
DELIVERIES = ["", "pickup", "courier", "courier", "post"]


def _order_record(rng, *, catalog, created, now, currency, discount, name, phone, email) -> _Order:
    lines = rng.sample(catalog.active, k=rng.choice([1, 1, 2, 2, 3]))
    items = [(p, rng.choice([1, 1, 1, 2, 3]), catalog.price(p, currency, discount)) for p in lines]
    total = sum((money(price * qty) for _p, qty, price in items), Decimal("0"))
    rate = catalog.rates[currency]
    age = now - created
    if rng.random() < CANCELLED_SHARE:
        path = [*FULL_PATH[: rng.choice([1, 1, 2, 3])], "cancelled"]
    elif rng.random() < next(share for days, share in COMPLETED_BY_AGE if age >= timedelta(days=days)):
        path = FULL_PATH
    else:
        path = FULL_PATH[: rng.choices([1, 2, 3, 4], weights=[3, 3, 2, 2])[0]]
    # The history: placed, then a step every few hours, never in the future.
    history, when = [("", "new", created)], created
    for previous, status in itertools.pairwise(path):
        when = min(when + timedelta(hours=rng.uniform(1, 60)), now)
        history.append((previous, status, when))
    source = rng.choice(SOURCES)
    fields = {
        "customer_name": name,
        "customer_email": email or "",
        "customer_phone": phone,
        "status": path[-1],
        "source": source,
        "currency": currency,
        "rate": rate,
        "discount_percent": discount,
        "items_count": sum(qty for _p, qty, _price in items),
        "total": total,
        "total_base": money(total * rate),
        "payment_method": rng.choice(PAYMENTS),
        "delivery_method": rng.choice(DELIVERIES),
        "created_at": created,
    }
    return _Order(fields, items, history)


def _birthday_soon(now, i: int, rng: random.Random):
    """A birthday within the next two weeks, 20 to 60 years ago."""
    day = timezone.localdate(now) + timedelta(days=(i // BIRTHDAY_EVERY) % 14)
    years = rng.randint(20, 60)
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # the 29th of February in a year that has none
        return (day - timedelta(days=1)).replace(year=day.year - years)


def _customer_record(i: int, rng: random.Random, now, label_count: int, catalog: _Catalog) -> _Record:
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
    discount = Decimal(rng.choice([0, 0, 0, 3, 5, 10]))
    preferred = rng.choices(["", "USD", "EUR"], weights=[88, 8, 4])[0]
    phones = [number] + ([extra_phone] if extra_phone else [])
    emails = [email] if email else []
    # About three orders per customer on average, a few customers with many, some with none.
    count = min(int(rng.expovariate(0.27)), 60) if rng.random() < 0.9 else 0
    # The first order within a month of arriving (never in the future); a new customer has few yet.
    first_at = created + min(timedelta(days=30), now - created) * rng.random() if count else None
    count = min(count, 1 + (now - created).days // 14)
    orders = [
        _order_record(
            rng,
            catalog=catalog,
            created=first_at + (now - first_at) * (rng.random() if n else 0),
            now=now,
            currency=preferred or catalog.company.base_currency,
            discount=discount,
            name=full_name,
            phone=number,
            email=email,
        )
        for n in range(count)
    ]
    live = [o.fields for o in orders if o.fields["status"] != "cancelled"]
    birthday = (now - timedelta(days=rng.randint(18 * 365, 70 * 365))).date() if rng.random() < 0.6 else None
    if i % BIRTHDAY_EVERY == 3:
        birthday = _birthday_soon(now, i, rng)
    blocked = i % BLOCKED_EVERY == 5
    sms_consent = rng.random() < 0.9
    email_consent = bool(email) and rng.random() < 0.75
    fields = {
        "full_name": full_name,
        "gender": Customer.Gender.FEMALE.value if female else Customer.Gender.MALE.value,
        "birthday": birthday,
        "region": region,
        "city": city,
        "status": Customer.Status.CURRENT.value if live else Customer.Status.POTENTIAL.value,
        "temperature": rng.choice(["", "hot", "warm", "cold", "not_interested"]),
        "acquisition_channel": rng.choice(["order", "order", "quick_link", "message", "manual", "import"]),
        "is_favourite": rng.random() < 0.03 or i % 50 == 1,
        "is_blocked": blocked,
        "blocked_reason": rng.choice(BLOCK_REASONS) if blocked else "",
        "sms_consent": sms_consent,
        "sms_consent_at": created if sms_consent else None,
        "sms_consent_source": rng.choice(CONSENT_SOURCES) if sms_consent else "",
        "email_consent": email_consent,
        "email_consent_at": created if email_consent else None,
        "email_consent_source": rng.choice(CONSENT_SOURCES) if email_consent else "",
        "discount_percent": discount,
        "preferred_currency": preferred,
        "created_at": created,
        # The figures rebuild_customer_stats would compute from the orders below.
        "orders_count": len(live),
        "orders_sum": sum((o["total_base"] for o in live), Decimal("0")),
        "first_order_at": min((o["created_at"] for o in live), default=None),
        "last_order_at": max((o["created_at"] for o in live), default=None),
        "last_activity_at": max((o.fields["created_at"] for o in orders), default=None),
        "search_document": build_search_document(full_name, phones, emails),
    }
    picked = rng.sample(range(label_count), k=rng.choice([0, 0, 1, 1, 2])) if label_count else []
    note = (rng.choice(NOTES), rng.choice([0, 0, 1, 2])) if rng.random() < 0.15 else None
    if i % 40 == 2:  # a few high-priority notes, which the list shows next to the name
        note = (rng.choice(URGENT_NOTES), 2)
    return _Record(fields, phones, emails, picked, note, orders)


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
    return [customer.pk for customer in customers]


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
    return ids


def _order_rows(company, records, catalog, owner):
    """(customer index, order) pairs with their Order field values."""
    for index, record in enumerate(records):
        for order in record.orders:
            fields = {
                "company_id": company.pk,
                "number": catalog.placeholder_number(),
                "created_by_id": owner.pk if order.fields["source"] == "staff" else None,
                **order.fields,
            }
            yield index, order, fields


def _item_fields(company, order_id, product, quantity, price):
    return {
        "company_id": company.pk,
        "order_id": order_id,
        "product_id": product.pk,
        "name": product.name,
        "sku": product.sku,
        "quantity": quantity,
        "unit_price": price,
        "line_total": money(price * quantity),
    }


def _history_fields(company, order_id, step, owner):
    previous, status, when = step
    return {
        "company_id": company.pk,
        "order_id": order_id,
        "from_status": previous,
        "to_status": status,
        "actor_id": owner.pk if previous else None,
        "created_at": when,
    }


def _insert_orders(company, customer_ids, records, catalog, owner):
    rows = list(_order_rows(company, records, catalog, owner))
    orders = Order.objects.bulk_create(
        [Order(customer_id=customer_ids[index], **fields) for index, _order, fields in rows], batch_size=BATCH
    )
    OrderItem.objects.bulk_create(
        [
            OrderItem(**_item_fields(company, saved.pk, *item))
            for saved, (_index, order, _fields) in zip(orders, rows, strict=True)
            for item in order.items
        ],
        batch_size=BATCH,
    )
    OrderStatusChange.objects.bulk_create(
        [
            OrderStatusChange(**_history_fields(company, saved.pk, step, owner))
            for saved, (_index, order, _fields) in zip(orders, rows, strict=True)
            for step in order.history
        ],
        batch_size=BATCH,
    )


def _copy_orders(company, customer_ids, records, catalog, owner, now):
    """The same rows as _insert_orders, written with COPY."""
    with connection.cursor() as cursor:
        rows = list(_order_rows(company, records, catalog, owner))
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Order._meta.db_table, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        _copy(
            cursor,
            Order,
            now,
            (
                {"id": pk, "customer_id": customer_ids[index], **fields}
                for pk, (index, _order, fields) in zip(ids, rows, strict=True)
            ),
        )
        _copy(
            cursor,
            OrderItem,
            now,
            (
                _item_fields(company, pk, *item)
                for pk, (_index, order, _fields) in zip(ids, rows, strict=True)
                for item in order.items
            ),
        )
        _copy(
            cursor,
            OrderStatusChange,
            now,
            (
                _history_fields(company, pk, step, owner)
                for pk, (_index, order, _fields) in zip(ids, rows, strict=True)
                for step in order.history
            ),
        )


def _number_orders_by_date(company) -> int:
    """Numbers the company's orders 1, 2, 3… in the order they were placed, as place_order would."""
    table = connection.ops.quote_name(Order._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET number = numbered.n FROM ("
            f"  SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS n FROM {table} WHERE company_id = %s"
            f") AS numbered WHERE {table}.id = numbered.id",
            [company.pk],
        )
        total = cursor.rowcount
        Company.objects.filter(pk=company.pk).update(last_order_number=total)
    return total


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
