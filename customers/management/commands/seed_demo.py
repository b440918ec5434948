"""Fills a demo company with realistic customers: `make run` uses 300, benchmarks a million."""

import random
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
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
        done = 0
        with _keep_given_created_at():
            while done < count:
                size = min(BATCH, count - done)
                with transaction.atomic():
                    self._create_batch(company, done, size, rng, now, labels, owner)
                done += size
                if count >= 50_000 and done % 50_000 == 0:
                    self.stdout.write(f"  {done} customers…")

    def _create_batch(self, company, start, size, rng, now, labels, owner):
        rows, phones, emails = [], [], []
        for i in range(start, start + size):
            female = rng.random() < 0.55
            first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
            last = rng.choice(LAST) + ("а" if female else "")
            full_name = f"{last} {first}"
            # A bijection of i onto 9xx xxx-xx-xx keeps every demo phone unique.
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
                total = Decimal(sum(rng.randint(500, 15_000) for _ in range(min(orders, 30)))).quantize(Decimal("1"))
            customer_phones = [number] + ([extra_phone] if extra_phone else [])
            customer_emails = [email] if email else []
            rows.append(
                Customer(
                    company=company,
                    full_name=full_name,
                    gender=Customer.Gender.FEMALE if female else Customer.Gender.MALE,
                    birthday=(now - timedelta(days=rng.randint(18 * 365, 70 * 365))).date()
                    if rng.random() < 0.6
                    else None,
                    region=region,
                    city=city,
                    status=Customer.Status.CURRENT if orders else Customer.Status.POTENTIAL,
                    temperature=rng.choice(["", "hot", "warm", "cold", "not_interested"]),
                    acquisition_channel=rng.choice(["order", "order", "quick_link", "message", "manual", "import"]),
                    is_favourite=rng.random() < 0.03,
                    sms_consent=rng.random() < 0.9,
                    discount_percent=Decimal(rng.choice([0, 0, 0, 3, 5, 10])),
                    created_at=created,
                    orders_count=orders,
                    orders_sum=total,
                    first_order_at=first_order,
                    last_order_at=last_order,
                    last_activity_at=last_order,
                    search_document=build_search_document(full_name, customer_phones, customer_emails),
                )
            )
            phones.append(customer_phones)
            emails.append(customer_emails)
        Customer.objects.bulk_create(rows, batch_size=BATCH)
        CustomerPhone.objects.bulk_create(
            [
                CustomerPhone(company=company, customer=customer, number=n, position=p)
                for customer, numbers in zip(rows, phones, strict=True)
                for p, n in enumerate(numbers)
            ],
            batch_size=BATCH,
        )
        CustomerEmail.objects.bulk_create(
            [
                CustomerEmail(company=company, customer=customer, email=e, position=p)
                for customer, addresses in zip(rows, emails, strict=True)
                for p, e in enumerate(addresses)
            ],
            batch_size=BATCH,
        )
        CustomerLabel.objects.bulk_create(
            [
                CustomerLabel(company=company, customer=customer, label=label)
                for customer in rows
                for label in rng.sample(labels, k=rng.choice([0, 0, 1, 1, 2]))
            ],
            batch_size=BATCH,
        )
        Note.objects.bulk_create(
            [
                Note(
                    company=company,
                    customer=customer,
                    author=owner,
                    text=rng.choice(NOTES),
                    priority=rng.choice([0, 0, 1, 2]),
                )
                for customer in rows
                if rng.random() < 0.15
            ],
            batch_size=BATCH,
        )
