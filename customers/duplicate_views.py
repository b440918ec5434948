"""The "Possible duplicates" pages: the list of pairs, one pair side by side, merge, dismiss, undo."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from companies.decorators import company_view
from customers import services
from customers.duplicates import open_pairs
from customers.forms import MergeForm
from customers.models import CustomerMerge, DuplicateCandidate
from customers.tasks import scan_duplicates

PAIRS_PER_PAGE = 20


@company_view()
def duplicate_list(request):
    page = Paginator(open_pairs(request.company), PAIRS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "customers/duplicates.html", {"page": page})


@company_view()
@require_POST
def duplicate_scan(request):
    scan_duplicates.delay(request.company.pk)
    messages.success(request, _("The search for duplicates has started; new pairs appear here when it ends."))
    return redirect("customers:duplicates")


def _open_pair(request, pk) -> DuplicateCandidate:
    return get_object_or_404(
        DuplicateCandidate.objects.select_related("first", "second"), pk=pk, dismissed_at__isnull=True
    )


@company_view()
def duplicate_pair(request, pk):
    """Both cards side by side; staff choose the card that stays and, where they disagree, the values."""
    pair = _open_pair(request, pk)
    form = MergeForm(request.POST if request.method == "POST" else None, pair=pair)
    if request.method == "POST" and form.is_valid():
        try:
            survivor = services.merge_customers(request.company, **form.merge_arguments(), actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Merged into %(name)s. The merge can be undone from the card's activity for %(days)d days.")
                % {"name": survivor, "days": CustomerMerge.UNDO_DAYS},
            )
            return redirect(survivor)
    context = {"pair": pair, "form": form, "sides": _sides(pair)}
    return render(request, "customers/duplicate_pair.html", context)


def _sides(pair: DuplicateCandidate) -> list[dict]:
    """What the comparison table shows of each card, in two queries per side at most."""
    return [
        {
            "customer": customer,
            "phones": [phone.formatted for phone in customer.phones.all()],
            "emails": list(customer.emails.values_list("email", flat=True)),
            "labels": list(customer.labels.all()),
            "notes": customer.notes.count(),
        }
        for customer in (pair.first, pair.second)
    ]


@company_view()
@require_POST
def duplicate_dismiss(request, pk):
    pair = _open_pair(request, pk)
    DuplicateCandidate.objects.filter(pk=pair.pk).update(dismissed_at=timezone.now(), dismissed_by=request.user)
    messages.success(
        request,
        _("%(first)s and %(second)s are marked as different people.") % {"first": pair.first, "second": pair.second},
    )
    return redirect("customers:duplicates")


@company_view()
@require_POST
def merge_undo(request, pk):
    merge = get_object_or_404(CustomerMerge, pk=pk)
    try:
        absorbed = services.undo_merge(request.company, merge=merge, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(merge.survivor)
    messages.success(request, _("The merge is undone: %(name)s is back as a separate customer.") % {"name": absorbed})
    return redirect(absorbed)
