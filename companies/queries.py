from companies.models import Membership


def memberships_of(user) -> list[Membership]:
    """The user's memberships with their companies, in a stable order for the switcher."""
    return list(Membership.objects.filter(user=user).select_related("company").order_by("company__name", "id"))
