from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.views import activity_filter_form
from companies.decorators import company_view
from companies.flash import flash_form_errors
from exports import services
from exports.forms import ExportForm
from exports.models import Export, export_storage

LOG_PAGE = 25


@require_POST
@company_view(admin=True)
def export_create(request):
    """From the customer list's Export menu: records the export and shows its progress."""
    form = ExportForm(request.POST)
    back = reverse("customers:list") + ("?" + request.POST["filter_query"] if request.POST.get("filter_query") else "")
    if not form.is_valid():
        flash_form_errors(request, form)
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    try:
        export = services.request_export(
            request.company,
            user=request.user,
            audience=data["audience"],
            query=data["filter_query"],
            segment=data["segment"],
            ids=data["selected"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(back)
    return redirect(export)


@require_POST
@company_view(admin=True)
def archive_create(request):
    """From the export log: all the company's data as one zip, for its owners."""
    try:
        export = services.request_archive(request.company, user=request.user)
    except PermissionDenied as error:
        messages.error(request, str(error))
        return redirect("exports:list")
    return redirect(export)


@require_POST
@company_view(admin=True)
def activity_create(request):
    """From the activity log: its filtered entries as an Excel file, built and sent like an export."""
    filters = activity_filter_form(request, request.POST).valid_data()
    export = services.request_activity_export(request.company, user=request.user, filters=filters)
    return redirect(export)


@company_view(admin=True)
def export_list(request):
    exports = Export.objects.select_related("requested_by").order_by("-created_at", "-id")
    page = Paginator(exports, LOG_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "now": timezone.now(),
        "can_take_archive": request.membership.is_owner,
    }
    return render(request, "exports/list.html", context)


@company_view(admin=True)
def export_detail(request, pk):
    export = get_object_or_404(Export.objects.select_related("requested_by"), pk=pk)
    return render(request, "exports/detail.html", {"export": export})


@company_view(admin=True)
def export_progress(request, pk):
    """The progress card, polled by htmx while the worker builds the file."""
    export = get_object_or_404(Export, pk=pk)
    return render(request, "exports/partials/progress.html", {"export": export})


@company_view(admin=True)
def export_download(request, pk):
    export = get_object_or_404(Export, pk=pk)
    if export.is_archive and not services.can_take_archive(request.company, request.user):
        raise PermissionDenied
    if export.is_expired:
        return render(request, "exports/expired.html", {"export": export}, status=410)
    if export.status != Export.Status.DONE:
        messages.info(request, _("This export is not ready yet."))
        return redirect(export)
    try:
        file = export_storage().open(export.file_name, "rb")
    except FileNotFoundError:
        return render(request, "exports/expired.html", {"export": export, "missing": True}, status=410)
    services.record_download(request.company, export=export, user=request.user)
    return FileResponse(file, as_attachment=True, filename=export.download_name)


@require_POST
@company_view(admin=True)
def export_retry(request, pk):
    export = get_object_or_404(Export, pk=pk)
    try:
        services.retry_export(request.company, export=export, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("exports:list")
    messages.success(request, _("The export is queued again."))
    return redirect(export)
