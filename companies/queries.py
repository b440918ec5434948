from companies.models import CURRENCY_CHOICES, Company, ExchangeRate, Membership


def memberships_of(user) -> list[Membership]:
    """The user's memberships with their companies, in a stable order for the switcher."""
    memberships = Membership.objects.filter(user=user, company__deletion_requested_at=None)
    return list(memberships.select_related("company").order_by("company__name", "id"))


def currency_needing_rate(company: Company) -> str | None:
    """The first currency the company has no rate for: one its products are priced in, if any."""
    from orders.models import Product  # orders depends on companies, not the other way round

    rated = {company.base_currency, *ExchangeRate.objects.filter(company=company).values_list("currency", flat=True)}
    missing = [code for code, _label in CURRENCY_CHOICES if code not in rated]
    priced_in = set(Product.objects.filter(company=company, currency__in=missing).values_list("currency", flat=True))
    return next((code for code in missing if code in priced_in), missing[0] if missing else None)
