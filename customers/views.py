from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from companies.decorators import company_view, require_admin
from companies.fields import fits_an_id
from companies.flash import flash_form_errors
from customers import services
from customers.criteria import (
    GROUP_BY_CHOICES,
    addable_criteria,
    criteria_rows,
    group_counts,
    narrowed,
    with_criterion,
)
from customers.filters import CRITERIA_BY_KEY, CustomerFilter, describe_form
from customers.forms import (
    BlockForm,
    BulkLabelForm,
    ConsentForm,
    CustomerForm,
    EraseForm,
    LabelForm,
    NoteForm,
    PanelForm,
    PipelineForm,
)
from customers.models import Customer, Label, Note
from customers.queries import (
    customer_for_card,
    customers_for_list,
    labels_with_counts,
    leads_first,
    neighbours,
    notes_of,
)
from customers.tables import OPTIONAL_COLUMNS, CustomerTable, DeferredJoinPaginator, customer_table
from customers.timeline import timeline
from orders.queries import customer_summary, orders_for_list
from orders.tables import CustomerOrderTable
from segments.models import Segment
from segments.queries import audience, audience_words, segments_for
from segments.services import clean_query

PAGE_SIZES = (20, 50, 100)


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


def _paginate(table, *, page, per_page: int) -> None:
    """Only the offered page sizes; a page past the end shows the last one, a bad one the first."""
    paginate = partial(table.paginate, DeferredJoinPaginator, per_page=per_page)
    try:
        paginate(page=page or 1)
    except PageNotAnInteger:
        paginate(page=1)
    except EmptyPage:
        paginate(page=table.paginator.num_pages)


def _filtered(request, data: QueryDict) -> CustomerFilter:
    return CustomerFilter(data, queryset=customers_for_list(request.company), company=request.company, request=request)


@company_view()
def customer_list(request):
    added = request.GET.get("add")
    if added in CRITERIA_BY_KEY:
        # A new criterion row: its starting values go into the URL, so what shows is what filters.
        query = with_criterion(request.GET, added)
        url = reverse("customers:list") + "?" + query
        if not request.htmx:
            return redirect(url)
        request.GET = QueryDict(query)
        response = _render_list(request, template="customers/partials/workspace.html")
        response["HX-Push-Url"] = url
        return response
    template = "customers/list.html"
    if request.htmx:
        # Typing a search refreshes the results only; any other change re-renders the filter panel.
        results_only = request.htmx.target == "results"
        template = f"customers/partials/{'results' if results_only else 'workspace'}.html"
    return _render_list(request, template=template)


SECTION_SIZE = 10


def _column_choices(columns: list[str]) -> list[tuple[str, str, bool]]:
    """(name, heading, shown) for the column chooser: the shown ones in their order, then the rest."""
    headings = {name: CustomerTable.base_columns[name].verbose_name for name in OPTIONAL_COLUMNS}
    hidden = [name for name in OPTIONAL_COLUMNS if name not in columns]
    return [(name, headings[name], name in columns) for name in [*columns, *hidden]]


@company_view()
@require_POST
def list_columns(request):
    """Saves which columns this user's customer list shows, in the order given."""
    try:
        services.save_list_columns(request.company, user=request.user, columns=request.POST.getlist("columns"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Columns saved."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith("/"):
        back = reverse("customers:list")
    return HttpResponseRedirect(back)


def _sections(request, customers, columns) -> list[dict]:
    """The list as two sections: current customers (newest first) and potential ones, the most
    promising leads first. Each pages and sorts on its own (table prefixes)."""
    sections = []
    list_query = request.GET.copy()
    list_query.pop("view", None)
    for status, title, queryset, order_by in (
        (Customer.Status.CURRENT, _("Current customers"), customers.filter(status=Customer.Status.CURRENT), None),
        (Customer.Status.POTENTIAL, _("Potential customers"), leads_first(customers.filter(status="potential")), ()),
    ):
        table = customer_table(queryset, columns, prefix=f"{status}-", order_by=order_by)
        RequestConfig(request, paginate=False).configure(table)
        _paginate(table, page=request.GET.get(f"{status}-page"), per_page=SECTION_SIZE)
        list_query["status"] = status
        sections.append({"status": status, "title": title, "table": table, "all_url": f"?{list_query.urlencode()}"})
    return sections


def _render_list(request, *, template: str):
    filterset = _filtered(request, request.GET)
    pipeline = request.GET.get("view") == "pipeline"
    columns = services.list_columns(request.company, request.user)
    if pipeline:
        table, sections = None, _sections(request, filterset.qs, columns)
        total = sum(section["table"].page.paginator.count for section in sections)
    else:
        table, sections = customer_table(filterset.qs, columns), []  # RequestConfig sets table.request
        RequestConfig(request, paginate=False).configure(table)
        table.back_query = _back_query(request.GET)
        _paginate(table, page=request.GET.get("page"), per_page=_page_size(request))
        total = table.page.paginator.count
    filter_query = clean_query(request.GET)
    segment = _open_segment(request)
    filterset.is_valid()
    context = {
        "filterset": filterset,
        "table": table,
        "page_sizes": PAGE_SIZES,
        "per_page": _page_size(request),
        "bulk_form": BulkLabelForm(),
        "filter_query": filter_query,
        "criteria_rows": criteria_rows(filterset, request.GET),
        "addable_criteria": addable_criteria(request.GET),
        "rule": describe_form(filterset.form),
        "segment": segment,
        "segment_changed": segment is not None and segment.query != filter_query,
        "is_filtered": bool(filter_query),
        "group_by_choices": GROUP_BY_CHOICES,
        "pipeline": pipeline,
        "sections": sections,
        "total": total,
        "columns": _column_choices(columns),
    }
    return render(request, template, context)


@company_view()
def group_by(request):
    """The group-by panel: values of one dimension with their counts within the current filter."""
    by = request.GET.get("by") or GROUP_BY_CHOICES[0][0]
    if by not in dict(GROUP_BY_CHOICES):
        by = GROUP_BY_CHOICES[0][0]
    filterset = CustomerFilter(
        request.GET, queryset=Customer.objects.filter(company=request.company), company=request.company
    )
    list_url = reverse("customers:list")
    groups = [
        (group, f"{list_url}?{narrowed(request.GET, group.params)}" if group.params else "")
        for group in group_counts(request.company, filterset.qs, by, filtered=bool(clean_query(request.GET)))
    ]
    context = {"groups": groups, "by": by, "choices": GROUP_BY_CHOICES, "filter_query": clean_query(request.GET)}
    return render(request, "customers/partials/group_by.html", context)


def _open_segment(request) -> Segment | None:
    try:
        pk = int(request.GET.get("segment", ""))
    except ValueError:
        return None
    return segments_for(request.company, request.user).filter(pk=pk).first()


NOTES_PER_PAGE = 20


def _notes_page(customer: Customer, number) -> Page:
    """A page of the card's notes: a customer may have hundreds, the card shows them 20 at a time."""
    return Paginator(notes_of(customer), NOTES_PER_PAGE).get_page(number)


def _card_context(customer: Customer, note_form: NoteForm) -> dict:
    return {
        "customer": customer,
        "summary": customer_summary(customer.company, customer),
        "notes": _notes_page(customer, 1),
        "note_form": note_form,
        "block_form": BlockForm(),
        "pipeline_form": PipelineForm(initial={"status": customer.status, "temperature": customer.temperature}),
        "consent_form": ConsentForm(),
        "consents": [
            (
                label,
                getattr(customer, f"{channel}_consent"),
                getattr(customer, f"{channel}_consent_at"),
                getattr(customer, f"get_{channel}_consent_source_display")(),
            )
            for channel, label in (("sms", _("SMS")), ("email", _("Email")), ("push", _("Push")))
        ],
        "available_labels": Label.objects.exclude(pk__in=[label.pk for label in customer.labels.all()]).order_by(
            "name"
        ),
    }


@company_view()
def customer_detail(request, pk):
    customer = customer_for_card(request.company, pk)
    context = _card_context(customer, NoteForm())
    if "back" in request.GET:
        context["walk"] = _walk(request, customer, request.GET["back"])
    return render(request, "customers/detail.html", context)


def _back_query(data: QueryDict) -> str:
    """The list a card is opened from, for its previous/next: the filter and the sort."""
    query = clean_query(data)
    if data.get("sort"):
        query += ("&" if query else "") + urlencode({"sort": data["sort"]})
    return query


def _walk(request, customer: Customer, back: str) -> dict:
    """Previous and next customer of the list the card was opened from (its query string)."""
    query = QueryDict(back)
    filterset = _filtered(request, query)
    previous = following = None
    if filterset.is_valid():
        previous, following = neighbours(filterset.qs, customer, query.get("sort", ""))
    suffix = "?" + urlencode({"back": back})
    return {
        "list_url": reverse("customers:list") + (f"?{back}" if back else ""),
        "previous": previous,
        "previous_url": previous.get_absolute_url() + suffix if previous else "",
        "next": following,
        "next_url": following.get_absolute_url() + suffix if following else "",
    }


@company_view()
def customer_timeline(request, pk):
    """A page of the card's "All activity" tab (htmx); `before` continues from the last entry shown."""
    customer = get_object_or_404(Customer, pk=pk)
    try:
        before = parse_datetime(request.GET.get("before", ""))
    except ValueError:  # well-formed but impossible, like the 31st of February
        before = None
    entries, more = timeline(request.company, customer, before=before)
    context = {"customer": customer, "entries": entries, "more": more, "older": entries[-1].cursor if more else None}
    return render(request, "customers/partials/timeline.html", context)


CARD_ORDERS_PER_PAGE = 20


@company_view()
def customer_orders(request, pk):
    """A page of the card's Orders tab (htmx), newest first."""
    customer = get_object_or_404(Customer, pk=pk)
    orders = orders_for_list(request.company).filter(customer=customer).order_by("-created_at", "-pk")
    page = Paginator(orders, CARD_ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    table = CustomerOrderTable(list(page.object_list))
    table.request = request
    return render(request, "customers/partials/orders.html", {"customer": customer, "table": table, "page": page})


@company_view()
def customer_notes(request, pk):
    """The next page of the card's Notes tab (htmx)."""
    customer = get_object_or_404(Customer, pk=pk)
    context = {"customer": customer, "notes": _notes_page(customer, request.GET.get("page"))}
    return render(request, "customers/partials/notes.html", context)


def _quick_change(request, pk, form_class, change, done: str):
    """A small form on the card (block, pipeline, consent): apply it, or say what was wrong."""
    customer = get_object_or_404(Customer, pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            change(customer, form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done)
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return redirect(customer)


@company_view()
@require_POST
def customer_block(request, pk):
    return _quick_change(
        request,
        pk,
        BlockForm,
        lambda customer, data: services.set_blocked(
            request.company, customer=customer, blocked=True, reason=data["reason"], actor=request.user
        ),
        _("The customer is blocked: campaigns leave them out and their quick order link takes no orders."),
    )


@company_view()
@require_POST
def customer_unblock(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    services.set_blocked(request.company, customer=customer, blocked=False, actor=request.user)
    messages.success(request, _("The customer is unblocked."))
    return redirect(customer)


@company_view()
@require_POST
def customer_pipeline(request, pk):
    return _quick_change(
        request,
        pk,
        PipelineForm,
        lambda customer, data: services.set_pipeline(request.company, customer=customer, **data, actor=request.user),
        _("Status and temperature saved."),
    )


@company_view()
@require_POST
def customer_consent(request, pk):
    return _quick_change(
        request,
        pk,
        ConsentForm,
        lambda customer, data: services.set_consent(request.company, customer=customer, **data, actor=request.user),
        _("Consent recorded."),
    )


@company_view(admin=True)
def customer_erase(request, pk):
    """Erase personal data on the customer's request, after the admin types the name."""
    customer = get_object_or_404(Customer, pk=pk, erased_at__isnull=True)
    form = EraseForm(request.POST if request.method == "POST" else None, customer=customer)
    if request.method == "POST" and form.is_valid():
        services.erase_customer(request.company, customer=customer, actor=request.user)
        messages.success(request, _("The customer's personal data is erased. Their orders stay in the figures."))
        return redirect(customer)
    return render(request, "customers/confirm_erase.html", {"customer": customer, "form": form})


@company_view()
def customer_create(request):
    form = CustomerForm(request.POST or None, company=request.company)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.create_customer(
                request.company,
                fields=form.customer_fields(),
                phones=form.cleaned_data["phones"],
                emails=form.cleaned_data["emails"],
                labels=form.cleaned_data["labels"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Customer %(name)s added.") % {"name": customer})
            return redirect(customer)
    return render(request, "customers/form.html", {"form": form})


@company_view()
def customer_edit(request, pk):
    customer = customer_for_card(request.company, pk)
    form = CustomerForm(request.POST or None, instance=customer, company=request.company)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_customer(
                request.company,
                customer=customer,
                fields=form.customer_fields(),
                phones=form.cleaned_data["phones"],
                emails=form.cleaned_data["emails"],
                labels=form.cleaned_data["labels"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes to %(name)s saved.") % {"name": customer})
            return redirect(customer)
    return render(request, "customers/form.html", {"form": form, "customer": customer})


@company_view(admin=True)
def customer_delete(request, pk):
    customer = customer_for_card(request.company, pk)
    if request.method == "POST":
        name = str(customer)
        try:
            services.delete_customer(request.company, customer=customer, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(customer)
        messages.success(request, _("Customer %(name)s deleted.") % {"name": name})
        return redirect("customers:list")
    context = {"customer": customer, "orders": customer.orders.count()}
    return render(request, "customers/confirm_delete.html", context)


@require_POST
@company_view()
def customer_favourite(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    favourite = request.POST.get("favourite") == "1"
    services.set_favourite(request.company, customer=customer, favourite=favourite, actor=request.user)
    if request.htmx:
        return render(request, "customers/cells/favourite.html", {"customer": customer})
    return redirect(customer)


@require_POST
@company_view()
def customer_label_add(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    label = get_object_or_404(Label, pk=request.POST.get("label") or 0)
    services.add_label(
        request.company, label=label, customers=Customer.objects.filter(pk=customer.pk), actor=request.user
    )
    messages.success(request, _("Label %(label)s added.") % {"label": label})
    return redirect(customer)


@require_POST
@company_view()
def customer_label_remove(request, pk, label_pk):
    customer = get_object_or_404(Customer, pk=pk)
    label = get_object_or_404(Label, pk=label_pk)
    services.remove_label(
        request.company, label=label, customers=Customer.objects.filter(pk=customer.pk), actor=request.user
    )
    messages.success(request, _("Label %(label)s removed.") % {"label": label})
    return redirect(customer)


@require_POST
@company_view()
def bulk_label(request):
    """Adds or removes a label on the ticked customers, or on every customer the filter matches."""
    form = BulkLabelForm(request.POST)
    back = reverse("customers:list") + ("?" + request.POST["filter_query"] if request.POST.get("filter_query") else "")
    if not form.is_valid():
        flash_form_errors(request, form)
        return HttpResponseRedirect(back)
    if form.cleaned_data["all_matching"]:
        require_admin(request)
        query = request.POST.get("filter_query", "")
        customers = audience(request.company, user=request.user, query=query)
        words = audience_words(request.company, query=query)
    else:
        customers = audience(request.company, user=request.user, ids=form.cleaned_data["selected"])
        words = audience_words(request.company, ids=form.cleaned_data["selected"])
    label, who = form.cleaned_data["label"], {"actor": request.user, "audience": words}
    adding = form.cleaned_data["action"] == "add"
    messages.success(request, _labelled(request.company, label, customers, adding=adding, **who))
    return HttpResponseRedirect(back)


def _labelled(company, label, customers, *, adding: bool, **who) -> str:
    """Puts the label on (or takes it off) the customers and says how many it changed."""
    if adding:
        count = services.add_label(company, label=label, customers=customers, **who)
        text = ngettext(
            "Label %(label)s added to %(count)d customer.", "Label %(label)s added to %(count)d customers.", count
        )
    else:
        count = services.remove_label(company, label=label, customers=customers, **who)
        text = ngettext(
            "Label %(label)s removed from %(count)d customer.",
            "Label %(label)s removed from %(count)d customers.",
            count,
        )
    return text % {"label": label, "count": count}


# The quick-info panel ---------------------------------------------------------------------------

PANEL_LIMIT = max(PAGE_SIZES)


def _panel_ids(values) -> list[int]:
    return [int(value) for value in values if fits_an_id(value)][:PANEL_LIMIT]


@company_view()
def quick_panel(request):
    """The side panel of the ticked customers: one customer's main data and figures, or how many
    are ticked; with the quick actions that apply. POST runs an action and shows the panel again."""
    form = None
    ids = _panel_ids(request.GET.getlist("selected"))
    if request.method == "POST":
        form = PanelForm(request.POST)
        ids = _panel_ids(request.POST.getlist("selected"))
        if form.is_valid():
            done = _panel_action(request, form.cleaned_data)
            messages.success(request, done)
            form = None
    customers = list(customers_for_list(request.company).filter(pk__in=ids).order_by("full_name", "pk"))
    context = {
        "customers": customers,
        "customer": customers[0] if len(customers) == 1 else None,
        "form": form,
        "labels": Label.objects.order_by("name"),
        "note_priorities": Note.Priority.choices,
    }
    if len(customers) == 1:
        context["summary"] = customer_summary(request.company, customers[0])
    return render(request, "customers/partials/panel.html", context)


def _panel_action(request, data) -> str:
    customers = Customer.objects.filter(pk__in=data["selected"])
    company, action, label = request.company, data["action"], data.get("label")
    who = {"actor": request.user, "audience": audience_words(company, ids=data["selected"])}
    if action in ("add_label", "remove_label"):
        return _labelled(company, label, customers, adding=action == "add_label", **who)
    if action in ("favourite", "unfavourite"):
        services.set_favourites(company, customers=customers, favourite=action == "favourite", **who)
        return _("Added to favourites.") if action == "favourite" else _("Removed from favourites.")
    services.add_note(
        company, customer=customers.get(), text=data["text"].strip(), priority=data["priority"], actor=request.user
    )
    return _("Note added.")


# Labels -----------------------------------------------------------------------------------------


@company_view()
def label_list(request):
    form = LabelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            label = services.create_label(
                request.company, name=form.cleaned_data["name"], color=form.cleaned_data["color"], actor=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Label %(label)s created.") % {"label": label})
            return redirect("customers:labels")
    return render(request, "customers/labels.html", {"labels": labels_with_counts(request.company), "form": form})


@company_view()
def label_edit(request, pk):
    label = get_object_or_404(Label, pk=pk)
    form = LabelForm(request.POST or None, instance=label)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_label(
                request.company,
                label=label,
                name=form.cleaned_data["name"],
                color=form.cleaned_data["color"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Label %(label)s saved.") % {"label": label})
            return redirect("customers:labels")
    return render(request, "customers/label_form.html", {"form": form, "label": label})


@company_view(admin=True)
def label_delete(request, pk):
    label = get_object_or_404(labels_with_counts(request.company), pk=pk)
    if request.method == "POST":
        services.delete_label(request.company, label=label, actor=request.user)
        messages.success(request, _("Label %(label)s deleted.") % {"label": label})
        return redirect("customers:labels")
    return render(request, "customers/label_confirm_delete.html", {"label": label})


# Notes ------------------------------------------------------------------------------------------


@require_POST
@company_view()
def note_add(request, pk):
    customer = customer_for_card(request.company, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(
                request.company,
                customer=customer,
                text=form.cleaned_data["text"],
                priority=form.cleaned_data["priority"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Note added."))
            return redirect(customer)
    return render(request, "customers/detail.html", _card_context(customer, form), status=400)


@company_view()
def note_edit(request, pk):
    note = get_object_or_404(Note.objects.select_related("customer"), pk=pk)
    form = NoteForm(request.POST or None, instance=note)
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_note(
                request.company,
                note=note,
                text=form.cleaned_data["text"],
                priority=form.cleaned_data["priority"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Note saved."))
            return redirect(note.customer)
    return render(request, "customers/note_form.html", {"form": form, "note": note})


@company_view()
def note_delete(request, pk):
    note = get_object_or_404(Note.objects.select_related("customer"), pk=pk)
    if request.method == "POST":
        services.delete_note(request.company, note=note, actor=request.user)
        messages.success(request, _("Note deleted."))
        return redirect(note.customer)
    return render(request, "customers/note_confirm_delete.html", {"note": note})
