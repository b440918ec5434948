"""Public pages behind a customer's quick order link: no sign-in, nothing changes on GET."""

import uuid
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_scopes import scope

from companies.decorators import company_view
from companies.throttle import count_in_window
from customers.models import Customer
from orders.models import MAX_QUANTITY, Category, Order, Product
from orders.queries import categories_for_catalog, category_for_filter, products_for_catalog
from orders.services import Line, place_order, rates_of
from quicklinks import cart, services
from quicklinks.models import QuickLink
from quicklinks.services import link_for_token, token_for


def _seconds_over_rate_limit(request) -> int:
    """0 while the client address is within its requests of the minute that began with its first
    one, else the seconds until that minute ends, when it may try again."""
    # REMOTE_ADDR only: a client-supplied X-Forwarded-For must not give it a fresh allowance.
    count, left = count_in_window(f"quicklinks:rate:{request.META.get('REMOTE_ADDR', '')}", seconds=60)
    return left if count > settings.QUICKLINK_REQUESTS_PER_MINUTE else 0


def quicklink_view(view):
    """Rate limit, resolve the token to its link, open the link's company scope, speak the
    customer's language and send the headers these pages need."""

    @wraps(view)
    def wrapped(request, token, *args, **kwargs):
        if wait := _seconds_over_rate_limit(request):
            response = render(request, "quicklinks/rate_limited.html", {"retry_after": wait}, status=429)
            response["Retry-After"] = str(wait)
        elif (link := link_for_token(token)) is None:
            response = render(request, "quicklinks/invalid.html", status=404)
        else:
            language = link.customer.preferred_language or link.company.language
            with scope(company=link.company), translation.override(language):
                request.LANGUAGE_CODE = language
                if link.customer.is_blocked:  # staff blocked the customer: the link takes no orders
                    response = render(request, "quicklinks/paused.html", {"company": link.company}, status=403)
                else:
                    response = view(request, link, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


CATALOG_PER_PAGE = 24


def _catalog_query(data) -> dict[str, str]:
    """The catalog's search, category and page from a query string, cleaned, empty ones left out."""
    kept = {
        "q": data.get("q", "")[:100],
        "category": data.get("category", "")[:20],
        "page": data.get("page", "")[:10],
    }
    if not kept["category"].isdigit():
        kept["category"] = ""
    if not kept["page"].isdigit():
        kept["page"] = ""
    return {key: value for key, value in kept.items() if value}


def _back(link: QuickLink, anchor: str = "", query: dict[str, str] | None = None):
    url = reverse("quicklinks:catalog", args=[token_for(link)])
    return redirect(url + (f"?{urlencode(query)}" if query else "") + anchor)


@require_GET
@quicklink_view
def catalog(request, link: QuickLink):
    # A search typed in the box swaps the results only; going back in history needs the whole page.
    partial = request.htmx and not request.htmx.history_restore_request
    term = request.GET.get("q", "")[:100]
    category = category_for_filter(link.company, request.GET.get("category", ""))
    category = category if isinstance(category, Category) else None  # customers see real categories only
    page = Paginator(products_for_catalog(link.company, term, category), CATALOG_PER_PAGE).get_page(
        request.GET.get("page")
    )
    filters = {key: value for key, value in {"q": term, "category": category and category.pk}.items() if value}
    context = {
        "token": token_for(link),
        "company": link.company,
        "customer": link.customer,
        "currency": cart.currency_of(link),
        "page": page,
        "q": term,
        "category": category,
        "categories": categories_for_catalog(link.company),
        "filters": urlencode(filters),
        "search_only": urlencode({"q": term}) if term else "",
        # Where adding to the cart comes back to: this page of this search in this category.
        "here": urlencode({**filters, "page": page.number}),
    }
    try:
        context["products"] = cart.priced_products(link, page.object_list)
        context["lines"] = [] if partial else cart.lines(request.session, link)
    except ValidationError:
        context["price_error"] = True
        context["products"], context["lines"] = [], []
    if partial:
        return render(request, "quicklinks/partials/products.html", context)
    context["cart_total"] = sum((line.total for line in context["lines"]), 0)
    context["cart_count"] = sum(line.quantity for line in context["lines"])
    context["checkout_key"] = cart.checkout_key(request.session, link)
    context["orders"] = (
        Order.objects.filter(company=link.company, customer=link.customer)
        .prefetch_related("items")
        .order_by("-created_at")[:10]
    )
    return render(request, "quicklinks/catalog.html", context)


def _quantity(request) -> int | None:
    try:
        quantity = int(request.POST.get("quantity", ""))
    except ValueError:
        return None
    return quantity if 0 <= quantity <= MAX_QUANTITY else None


def _product(request, link) -> Product | None:
    product_id = request.POST.get("product", "")
    if not product_id.isdigit():
        return None
    return Product.objects.filter(company=link.company, is_active=True, pk=int(product_id)).first()


@require_POST
@quicklink_view
def cart_set(request, link: QuickLink):
    """Adds a product, changes its quantity, or (quantity 0) removes it."""
    product, quantity = _product(request, link), _quantity(request)
    adding = request.POST.get("mode") == "add"
    # Back to the same page of the same search: at the product added, or at the cart.
    query = _catalog_query(QueryDict(request.POST.get("back", "")[:400]))
    if product is None:
        messages.error(request, _("This product is not available."))
    elif quantity is None:
        messages.error(request, _("Enter a quantity from 0 to %(max)d.") % {"max": MAX_QUANTITY})
    elif adding and quantity == 0:
        messages.error(request, _("Enter a quantity from 1 to %(max)d.") % {"max": MAX_QUANTITY})
    else:
        current = cart.read(request.session, link).get(product.pk, 0)
        cart.set_quantity(request.session, link, product, current + quantity if adding else quantity)
        messages.success(request, _("Cart updated."))
        if adding:
            return _back(link, f"#product-{product.pk}", query)
    return _back(link, "" if adding else "#cart", query)


@require_POST
@quicklink_view
def checkout(request, link: QuickLink):
    key = _checkout_key(request)
    placed = key and Order.objects.filter(company=link.company, customer=link.customer, checkout_key=key).first()
    if placed:  # this cart was sent before (a double click, a retry): show its order
        return _confirmation(request, link, placed)
    lines = cart.read(request.session, link)
    if lines and str(key) != cart.checkout_key(request.session, link):
        messages.error(request, _("Your cart has changed since this page was opened; check it and order again."))
        return _back(link, "#cart")
    comment = request.POST.get("comment", "").strip()
    if len(comment) > 2000:
        messages.error(request, _("The comment can be at most 2000 characters long."))
        return _back(link, "#cart")
    try:
        order = place_order(
            link.company,
            customer=link.customer,
            lines=[Line(quantity=quantity, product_id=pk) for pk, quantity in lines.items() if quantity > 0],
            source=Order.Source.QUICK_LINK,
            currency=cart.currency_of(link),
            comment=comment,
            checkout_key=key,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(link, "#cart")
    cart.clear(request.session, link)
    return _confirmation(request, link, order)


def _checkout_key(request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get("checkout_key", ""))
    except ValueError:
        return None


def _confirmation(request, link: QuickLink, order: Order):
    context = {"token": token_for(link), "company": link.company, "customer": link.customer, "order": order}
    return render(request, "quicklinks/confirmation.html", context)


@require_POST
@quicklink_view
def repeat(request, link: QuickLink, order_pk: int):
    order = Order.objects.filter(company=link.company, customer=link.customer, pk=order_pk).first()
    if order is None:
        messages.error(request, _("This order cannot be repeated."))
        return _back(link)
    current = cart.read(request.session, link)
    available = set(
        Product.objects.filter(
            company=link.company, is_active=True, pk__in=[i.product_id for i in order.items.all()]
        ).values_list("pk", flat=True)
    )
    skipped = 0
    for item in order.items.all():
        if item.product_id in available:
            current[item.product_id] = min(current.get(item.product_id, 0) + item.quantity, MAX_QUANTITY)
        else:
            skipped += 1
    cart.write(request.session, link, current)
    messages.success(request, _("The items of order #%(number)s are in your cart.") % {"number": order.number})
    if skipped:
        messages.warning(request, _("Some items are no longer sold and were left out."))
    return _back(link, "#cart")


# Staff: the link panel on the customer card ------------------------------------------------------


@company_view()
def panel(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    if not request.htmx and request.method == "GET":
        return redirect(customer)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "issue":
            services.issue_link(request.company, customer=customer, actor=request.user)
        elif action == "regenerate":
            services.regenerate_link(request.company, customer=customer, actor=request.user)
            messages.success(request, _("A new link is ready; the old one no longer works."))
        elif action == "revoke":
            services.revoke_link(request.company, customer=customer, actor=request.user)
            messages.success(request, _("The link is revoked."))
        if not request.htmx:
            return redirect(customer)
    link = QuickLink.objects.filter(customer=customer, revoked_at=None).first()
    missing_rate = None
    if link is not None:
        currency = cart.currency_of(link)
        if currency not in rates_of(request.company):
            missing_rate = currency
    context = {"customer": customer, "link": link, "url": link and services.url_for(link), "missing_rate": missing_rate}
    return render(request, "quicklinks/partials/panel.html", context)
