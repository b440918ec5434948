"""Every URL of the project with garbage where it expects ids, numbers, dates and short text —
as a signed-in owner and anonymously, GET and POST — answers without a server error.

The URL list comes from the resolver (as in the cross-company walk), so a new page is walked as
soon as it exists. The parameters sent are every name the project's filters and forms read.
"""

import itertools

import pytest
from django.urls import NoReverseMatch, reverse

from customers.filters import CustomerFilter
from orders.filters import OrderFilter
from tests.test_cross_company_walk import all_url_names

# Values that break naive parsing: not a number, a NUL byte (PostgreSQL refuses it in text), past
# any integer column, longer than any field, an impossible date, and a list where one value goes.
GARBAGE = ["abc\x00", "9" * 40, "x" * 3000, "2026-13-45", ["1", "abc", ""]]
PATH_GARBAGE = {"int": ["0", "9" * 30], "str": ["abc", "x" * 300, "1-" + "A" * 43]}
FORM_NAMES = {
    "q",
    "page",
    "per_page",
    "sort",
    "view",
    "customer",
    "label",
    "labels",
    "labels_mode",
    "segment",
    "current",
    "by",
    "status",
    "source",
    "placed_from",
    "placed_to",
    "selected",
    "action",
    "text",
    "priority",
    "name",
    "color",
    "full_name",
    "phones",
    "emails",
    "company",
    "language",
    "discount_percent",
    "sku",
    "price",
    "currency",
    "rate",
    "quantity",
    "product",
    "mode",
    "comment",
    "checkout_key",
    "query",
    "direction",
    "audience",
    "all_matching",
    "filter_query",
    "favourite",
    "keep",
    "category",
    "image",
    "columns",
    "mapping",
    "on_conflict",
    "on_error",
    "reason",
    "channel",
    "consent",
    "temperature",
    "birthday",
    "lines-TOTAL_FORMS",
    "lines-INITIAL_FORMS",
    "lines-0-product",
    "lines-0-quantity",
    "lines-0-unit_price",
}


def parameter_names() -> set[str]:
    return FORM_NAMES | set(CustomerFilter.base_filters) | set(OrderFilter.base_filters)


def garbage_urls(name: str, params: tuple[str, ...]):
    if not params:
        yield reverse(name)
        return
    values = [PATH_GARBAGE["int"] + PATH_GARBAGE["str"]] * len(params)
    for combination in itertools.product(*values):
        try:
            yield reverse(name, kwargs=dict(zip(params, combination, strict=True)))
        except NoReverseMatch:
            continue


@pytest.mark.parametrize("who", ["owner", "anonymous"])
def test_garbage_anywhere_is_never_a_server_error(world, client, who):
    if who == "owner":
        client.force_login(world.owner_a)
    names = sorted(parameter_names())
    failures, walked = [], 0
    for name, params in all_url_names():
        if name == "logout":
            continue
        for url in garbage_urls(name, params):
            for value in GARBAGE:
                data = dict.fromkeys(names, value)
                for method in ("get", "post"):
                    response = getattr(client, method)(url, data)
                    walked += 1
                    if response.status_code >= 500:
                        failures.append(f"{method.upper()} {url} with {str(value)[:20]!r}: {response.status_code}")
    assert walked > 500
    assert not failures, "\n".join(failures)
