from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from companies.decorators import company_view
from companies.fields import fits_an_id
from customers.models import Customer, Label
from customers.tables import CappedCountPaginator
from orders import services
from orders.filters import OrderFilter
from orders.forms import CategoryForm, LineFormSet, OrderForm, ProductForm
from orders.models import Category, Order, Product
from orders.queries import (
    UNCATEGORISED,
    categories_for_staff,
    category_for_filter,
    order_for_page,
    orders_for_list,
    products_for_list,
)
from orders.tables import OrderTable


def orders_table(request, queryset, *, per_page: int = 20) -> OrderTable:
    table = OrderTable(queryset)  # RequestConfig below sets table.request; paginating is ours
    RequestConfig(request, paginate=False).configure(table)
    paginate = partial(table.paginate, CappedCountPaginator, per_page=per_page)
    try:
        paginate(page=request.GET.get("page") or 1)
    except PageNotAnInteger:
        paginate(page=1)
    except EmptyPage:
        paginate(page=table.paginator.num_pages)
    return table


@company_view()
def order_list(request):
    filterset = OrderFilter(request.GET, queryset=orders_for_list(request.company), company=request.company)
    table = orders_table(request, filterset.qs)
    table.company_labels = list(Label.objects.order_by("name"))
    customer = None
    if filterset.is_valid() and filterset.form.cleaned_data.get("customer"):
        customer = Customer.objects.filter(pk=filterset.form.cleaned_data["customer"]).first()
    context = {"filterset": filterset, "table": table, "filtered_customer": customer}
    template = "orders/partials/results.html" if request.htmx else "orders/list.html"
    return render(request, template, context)


@company_view()
def order_detail(request, pk):
    order = order_for_page(request.company, pk)
    context = {
        "order": order,
        "next_statuses": [(s, Order.Status(s).label) for s in services.TRANSITIONS.get(order.status, ())],
        "available_labels": Label.objects.exclude(pk__in=[label.pk for label in order.labels.all()]).order_by("name"),
    }
    return render(request, "orders/detail.html", context)


@require_POST
@company_view()
def order_status(request, pk):
    order = get_object_or_404(Order, pk=pk)
    try:
        services.change_order_status(
            request.company, order=order, status=request.POST.get("status", ""), actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Order #%(number)s is now %(status)s.")
            % {"number": order.number, "status": Order.Status(request.POST["status"]).label.lower()},
        )
    return redirect(order)


@require_POST
@company_view()
def order_label_add(request, pk):
    order = get_object_or_404(Order, pk=pk)
    label = get_object_or_404(Label, pk=request.POST.get("label") or 0)
    services.add_order_label(request.company, order=order, label=label, actor=request.user)
    messages.success(request, _("Label %(label)s added.") % {"label": label})
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(order)


@require_POST
@company_view()
def order_label_remove(request, pk, label_pk):
    order = get_object_or_404(Order, pk=pk)
    label = get_object_or_404(Label, pk=label_pk)
    services.remove_order_label(request.company, order=order, label=label, actor=request.user)
    messages.success(request, _("Label %(label)s removed.") % {"label": label})
    return redirect(order)


@company_view()
def order_create(request):
    wanted = request.GET.get("customer", "")
    customer = get_object_or_404(Customer, pk=int(wanted) if fits_an_id(wanted) else 0)
    form = OrderForm(request.POST or None)
    lines = LineFormSet(request.POST or None, prefix="lines")
    # Both are validated on every submit, so the order's and the lines' mistakes show together.
    if request.method == "POST" and all([form.is_valid(), lines.is_valid()]):
        try:
            order = services.place_order(
                request.company,
                customer=customer,
                lines=[line for line in (f.line() for f in lines) if line],
                source=Order.Source.STAFF,
                currency=form.cleaned_data["currency"],
                payment_method=form.cleaned_data["payment_method"],
                delivery_method=form.cleaned_data["delivery_method"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Order #%(number)s placed.") % {"number": order.number})
            return redirect(order)
    return render(request, "orders/form.html", {"form": form, "lines": lines, "customer": customer})


# Catalog ----------------------------------------------------------------------------------------


PRODUCTS_PER_PAGE = 50


@company_view()
def product_list(request):
    term = request.GET.get("q", "")[:100]
    category = category_for_filter(request.company, request.GET.get("category", ""))
    products = products_for_list(request.company, term, category)
    page = Paginator(products, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
    kept = {"q": term, "category": category.pk if isinstance(category, Category) else category or ""}
    context = {
        "page": page,
        "q": term,
        "category": category,
        "uncategorised": UNCATEGORISED,
        "categories": categories_for_staff(request.company),
        "query": urlencode({key: value for key, value in kept.items() if value}),
    }
    return render(request, "orders/products.html", context)


@company_view()
def product_form(request, pk=None):
    product = get_object_or_404(Product, pk=pk) if pk else None
    form = ProductForm(request.POST or None, request.FILES or None, instance=product, company=request.company)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.save_product(
                request.company,
                product=product,
                values={name: form.cleaned_data[name] for name in services.PRODUCT_FIELDS},
                image=form.cleaned_data.get("image"),
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Product %(name)s saved.") % {"name": product})
            return redirect("orders:products")
    return render(request, "orders/product_form.html", {"form": form, "product": product})


@company_view()
def category_list(request):
    """The categories with a rename form each, and a form that adds one (POST)."""
    form = CategoryForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            category = services.create_category(
                request.company,
                name=form.cleaned_data["name"],
                position=form.cleaned_data["position"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Category %(name)s added.") % {"name": category})
            return redirect("orders:categories")
    categories = [
        (category, CategoryForm(instance=category, prefix=f"c{category.pk}"))
        for category in categories_for_staff(request.company)
    ]
    return render(request, "orders/categories.html", {"form": form, "categories": categories})


@company_view()
def category_edit(request, pk):
    category = get_object_or_404(Category, pk=pk)
    form = CategoryForm(request.POST or None, instance=category, prefix=f"c{category.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            services.rename_category(
                request.company,
                category=category,
                name=form.cleaned_data["name"],
                position=form.cleaned_data["position"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Category %(name)s saved.") % {"name": category})
            return redirect("orders:categories")
    return render(request, "orders/category_form.html", {"form": form, "category": category})


@require_POST
@company_view(admin=True)
def category_delete(request, pk):
    category = get_object_or_404(Category, pk=pk)
    name = category.name
    moved = services.delete_category(request.company, category=category, actor=request.user)
    text = ngettext(
        "Category %(name)s deleted; its %(count)d product is now uncategorised.",
        "Category %(name)s deleted; its %(count)d products are now uncategorised.",
        moved,
    )
    messages.success(request, text % {"name": name, "count": moved})
    return redirect("orders:categories")


@require_POST
@company_view()
def product_toggle(request, pk):
    product = get_object_or_404(Product, pk=pk)
    services.set_product_active(request.company, product=product, active=not product.is_active, actor=request.user)
    if product.is_active:
        messages.success(request, _("%(name)s is back in the catalog.") % {"name": product})
    else:
        messages.success(request, _("%(name)s is deactivated; it stays on past orders.") % {"name": product})
    return redirect("orders:products")
