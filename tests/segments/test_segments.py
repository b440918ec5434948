"""Saved segments: the default groups on their boundaries, staying live, and managing them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope

from customers.models import Customer
from orders.models import Order, Product
from orders.services import Line, place_order
from segments.models import Segment
from segments.queries import audience, filter_of
from segments.services import restore_default_segments
from tests.factories import CompanyFactory, LabelFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

LIST = reverse("customers:list")


def members(segment: Segment) -> set[str]:
    return set(filter_of(segment.company, segment.query).qs.values_list("full_name", flat=True))


def default(company, key) -> Segment:
    return Segment.objects.get(company=company, default=key)


def test_every_new_company_gets_the_default_groups(db):
    company = CompanyFactory(language="ru")
    with scope(company=company):
        assert list(Segment.objects.filter(company=company).values_list("default", "name", "owner")) == [
            ("all", "Все", None),
            ("new", "Новые", None),
            ("loyal", "Постоянные", None),
            ("inactive", "Неактивные", None),
        ]


def test_default_groups_on_their_boundaries(world):
    company = world.company_a
    now = timezone.now()
    for days in (89, 90, 91):
        for actions in (1, 2):
            customer = make_customer(company, name=f"{days}d-{actions}", phones=[f"+7916{days:03d}{actions:04d}"])
            Customer.objects.filter(pk=customer.pk).update(
                orders_count=actions - 1, messages_count=1, last_activity_at=now - timedelta(days=days, seconds=-30)
            )
    make_customer(company, name="never", emails=["never@example.com"])
    # Three months are 90 days: activity 89 or 90 days ago is "under 3 months", 91 is over.
    assert members(default(company, "new")) == {"89d-1", "90d-1"}
    assert members(default(company, "loyal")) == {"89d-2", "90d-2"}
    assert members(default(company, "inactive")) == {"91d-1", "91d-2"}
    assert len(members(default(company, "all"))) == 7


def test_a_saved_segment_stays_live(world):
    company = world.company_a
    rose = Product.objects.create(company=company, name="Rose", price=Decimal("100"), currency="RUB")

    def order(**who):
        return place_order(company, lines=[Line(quantity=1, product_id=rose.pk)], source=Order.Source.STAFF, **who)

    order(name="Vera", phones=["+79161112233"])
    new, loyal = default(company, "new"), default(company, "loyal")
    assert "Vera" in members(new) and "Vera" not in members(loyal)
    order(phones=["+79161112233"])  # a second order: Vera is loyal now, with no recomputation step
    assert "Vera" not in members(new) and "Vera" in members(loyal)


def test_save_a_segment_from_the_current_filter(world, manager_client):
    label = LabelFactory(company=world.company_a, name="VIP")
    query = f"labels_mode=any&labels={label.pk}&orders_min=2&page=3&sort=full_name"
    response = manager_client.post(reverse("segments:create"), {"name": "VIP regulars", "query": query})
    segment = Segment.objects.get(company=world.company_a, name="VIP regulars")
    assert segment.owner == world.manager_a  # personal: managers cannot share
    assert segment.query == f"orders_min=2&labels_mode=any&labels={label.pk}"  # page and sort are not criteria
    assert response.status_code == 302 and response.url == segment.get_absolute_url()
    page = manager_client.get(segment.get_absolute_url()).content.decode()
    assert "ordered 2+ times" in page and "label VIP" in page


def test_saving_needs_a_free_name(world, owner_client):
    Segment.objects.create(company=world.company_a, name="Hot", query="temperature=hot")
    response = owner_client.post(reverse("segments:create"), {"name": "hot", "query": "", "shared": "1"})
    assert response.status_code == 400
    assert "There is already a segment named" in response.content.decode()
    response = owner_client.post(reverse("segments:create"), {"name": "  ", "query": ""})
    assert response.status_code == 400
    assert Segment.objects.filter(company=world.company_a, default="").count() == 1


def test_only_admins_share_and_change_shared_segments(world, manager_client, owner_client):
    response = manager_client.post(reverse("segments:create"), {"name": "Everyone", "query": "", "shared": "1"})
    assert response.status_code == 403
    loyal = default(world.company_a, "loyal")
    assert manager_client.post(reverse("segments:delete", args=[loyal.pk])).status_code == 403
    assert manager_client.post(reverse("segments:rename", args=[loyal.pk]), {"name": "X"}).status_code == 403
    assert Segment.objects.filter(pk=loyal.pk, name="Постоянные").exists() or loyal.name
    owner_client.post(reverse("segments:create"), {"name": "Everyone", "query": "", "shared": "1"})
    assert Segment.objects.get(company=world.company_a, name="Everyone").owner is None


def test_a_personal_segment_is_its_owners_alone(world, manager_client, owner_client):
    mine = Segment.objects.create(company=world.company_a, name="Mine", query="", owner=world.manager_a)
    assert owner_client.get(reverse("segments:rename", args=[mine.pk])).status_code == 404
    assert "Mine" not in owner_client.get(reverse("segments:list")).content.decode()
    assert "Mine" in manager_client.get(reverse("segments:list")).content.decode()
    with pytest.raises(Exception):  # noqa: B017 - Http404
        audience(world.company_a, user=world.owner_a, segment=mine)


def test_rename_update_move_delete_and_restore(world, owner_client):
    company = world.company_a
    new = default(company, "new")
    owner_client.post(reverse("segments:rename", args=[new.pk]), {"name": "Fresh"})
    new.refresh_from_db()
    assert new.name == "Fresh"
    owner_client.post(reverse("segments:update", args=[new.pk]), {"query": "temperature=hot&bogus=1"})
    new.refresh_from_db()
    assert new.query == "temperature=hot"
    owner_client.post(reverse("segments:move", args=[new.pk]), {"direction": "up"})
    order = list(Segment.objects.filter(company=company).order_by("position", "id").values_list("default", flat=True))
    assert order[:2] == ["new", "all"]
    response = owner_client.get(reverse("segments:delete", args=[new.pk]))
    assert "Delete the segment" in response.content.decode()
    owner_client.post(reverse("segments:delete", args=[new.pk]))
    assert not Segment.objects.filter(pk=new.pk).exists()
    owner_client.post(reverse("segments:restore_defaults"))
    restored = default(company, "new")
    assert restored.query.startswith("activity=lt")
    assert Segment.objects.filter(company=company).exclude(default="").count() == 4


def test_a_segment_whose_label_was_deleted_still_opens_and_says_so(world, owner_client):
    label = LabelFactory(company=world.company_a, name="Gone")
    segment = Segment.objects.create(
        company=world.company_a, name="Gone ones", query=f"labels_mode=any&labels={label.pk}"
    )
    make_customer(world.company_a, name="Kept", phones=["+79165550000"])
    label.delete()
    page = owner_client.get(segment.get_absolute_url()).content.decode()
    assert "A label of this criterion was deleted" in page
    assert "Kept" in page  # the criterion no longer applies; the list is not filtered by it
    assert "A label of this criterion was deleted" in owner_client.get(reverse("segments:list")).content.decode()


def test_the_segment_bar_shows_live_counts(world, owner_client):
    make_customer(world.company_a, name="Solo", phones=["+79165551111"])
    page = owner_client.get(reverse("segments:bar")).content.decode()
    assert 'data-testid="segment-count">1<' in page  # All


def test_group_by_counts_within_the_filter(world, owner_client):
    company = world.company_a
    vip = LabelFactory(company=company, name="VIP")
    make_customer(company, name="A", phones=["+79160000011"], region="Tver", labels=[vip], gender="female")
    make_customer(company, name="B", phones=["+79160000012"], region="Tver", gender="male")
    make_customer(company, name="C", phones=["+79160000013"], region="Omsk", gender="female")
    url = reverse("customers:group_by")
    page = owner_client.get(url, {"by": "region"}).content.decode()
    assert page.index("Tver") < page.index("Omsk")
    narrowed = owner_client.get(url, {"by": "region", "gender": "female"}).content.decode()
    assert ">1</span>" in narrowed and "region=Tver" in narrowed
    labels = owner_client.get(url, {"by": "label"}).content.decode()
    assert "VIP" in labels and f"labels={vip.pk}" in labels
    for by in ("gender", "reviewed", "messaged", "activity", "actions", "status", "temperature", "nonsense"):
        assert owner_client.get(url, {"by": by, "orders_min": "x"}).status_code == 200


def test_adding_a_criterion_puts_its_starting_values_in_the_url(world, owner_client):
    response = owner_client.get(LIST, {"add": "activity", "q": "ann"})
    assert response.status_code == 302
    assert "activity=lt" in response.url and "activity_n=3" in response.url and "q=ann" in response.url
    htmx = owner_client.get(LIST, {"add": "gender"}, headers={"HX-Request": "true"})
    assert "gender=female" in htmx["HX-Push-Url"]
    assert 'data-criterion="gender"' in htmx.content.decode()


def test_bulk_label_on_every_match_uses_the_filter(world, owner_client):
    company = world.company_a
    label = LabelFactory(company=company, name="Tver")
    make_customer(company, name="A", phones=["+79160000021"], region="Tver")
    make_customer(company, name="B", phones=["+79160000022"], region="Omsk")
    owner_client.post(
        reverse("customers:bulk_label"),
        {"action": "add", "label": label.pk, "all_matching": "1", "filter_query": "region=Tver"},
    )
    assert set(Customer.objects.filter(labels=label).values_list("full_name", flat=True)) == {"A"}


def test_an_english_reader_sees_a_russian_created_default_group_in_english(world, owner_client):
    with translation.override("ru"):
        restore_default_segments(world.company_a)
    Segment.objects.filter(company=world.company_a, default="loyal").update(name="Постоянные")
    Segment.objects.filter(company=world.company_a, default="new").update(name="Новые")
    page = owner_client.get(reverse("segments:list")).content.decode()
    assert "Loyal" in page and "Постоянные" not in page
    assert "Новые" not in page
    world.owner_a.language = "ru"
    world.owner_a.save()
    page = owner_client.get(reverse("segments:list")).content.decode()
    assert "Постоянные" in page


def test_a_renamed_default_group_keeps_its_name_in_every_language(world, owner_client):
    loyal = default(world.company_a, "loyal")
    owner_client.post(reverse("segments:rename", args=[loyal.pk]), {"name": "Regulars"})
    assert "Regulars" in owner_client.get(reverse("segments:list")).content.decode()
    world.owner_a.language = "ru"
    world.owner_a.save()
    page = owner_client.get(reverse("segments:list")).content.decode()
    assert "Regulars" in page and "Постоянные" not in page
    assert "Regulars" in owner_client.get(reverse("segments:bar")).content.decode()
