from django.shortcuts import render

from audit.forms import ActivityFilterForm
from audit.queries import describe_entries, entries_for, is_small_window, page_of
from companies.decorators import company_view
from companies.fields import fits_an_id
from companies.models import User


def activity_filter_form(request, data) -> ActivityFilterForm:
    members = User.objects.filter(memberships__company=request.company).order_by("first_name", "last_name", "email")
    return ActivityFilterForm(data, members=members)


@company_view(admin=True)
def activity_log(request):
    """Who did what in the company, newest first, filtered by who, action and days; paged by keyset."""
    form = activity_filter_form(request, request.GET)
    filters = form.valid_data()
    before, after = request.GET.get("before", ""), request.GET.get("after", "")
    entries, has_newer, has_older = page_of(
        entries_for(request.company, filters),
        before=int(before) if fits_an_id(before) else None,
        after=int(after) if fits_an_id(after) and not fits_an_id(before) else None,
        small_window=is_small_window(request.company, filters),
    )
    describe_entries(request.company, entries)
    query = request.GET.copy()
    for key in ("before", "after"):
        query.pop(key, None)
    context = {
        "form": form,
        "entries": entries,
        "has_newer": has_newer,
        "has_older": has_older,
        "filter_query": query.urlencode(),
        "is_filtered": bool(filters),
        "export_filters": [(key, form.data[key]) for key in filters],
        "newest_id": entries[0].id if entries else None,
        "oldest_id": entries[-1].id if entries else None,
    }
    return render(request, "audit/log.html", context)
