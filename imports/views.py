import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from companies.decorators import company_view
from imports import services
from imports.forms import ImportUploadForm, MappingForm
from imports.importing import BY_KEY
from imports.models import Import

LOG_PAGE = 25
ISSUES_SHOWN = 50


@company_view(admin=True)
def import_list(request):
    imports = Import.objects.select_related("requested_by").order_by("-created_at", "-id")
    page = Paginator(imports, LOG_PAGE).get_page(request.GET.get("page"))
    return render(request, "imports/list.html", {"page": page})


@company_view(admin=True)
def import_upload(request):
    form = ImportUploadForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            source = services.upload_import(request.company, user=request.user, upload=form.cleaned_data["file"])
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect(source)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "limits": settings.IMPORT_LIMITS}
    return render(request, "imports/upload.html", context, status=status)


def _detail_context(source: Import, form: MappingForm | None = None) -> dict:
    context = {"source": source}
    if source.status in (Import.Status.MAPPING, Import.Status.VALIDATED):
        form = form or MappingForm(source=source)
        context["form"] = form
        context["columns"] = [
            (form[name], [row[index] if index < len(row) else "" for row in source.preview])
            for index, name in enumerate(form.columns)
        ]
        context["mapped"] = [BY_KEY[key].label for key in source.mapping if key]
    if source.status in (Import.Status.VALIDATED, Import.Status.DONE, Import.Status.UNDONE, Import.Status.FAILED):
        context["issues"] = list(source.issues.all()[:ISSUES_SHOWN])
    return context


@company_view(admin=True)
def import_detail(request, pk):
    source = get_object_or_404(Import.objects.select_related("requested_by"), pk=pk)
    return render(request, "imports/detail.html", _detail_context(source))


@company_view(admin=True)
def import_progress(request, pk):
    source = get_object_or_404(Import, pk=pk)
    if not source.is_working and request.htmx:
        response = render(request, "imports/partials/progress.html", {"source": source})
        response["HX-Refresh"] = "true"  # the step is over: show its report
        return response
    return render(request, "imports/partials/progress.html", {"source": source})


@require_POST
@company_view(admin=True)
def import_mapping(request, pk):
    source = get_object_or_404(Import, pk=pk)
    form = MappingForm(request.POST, source=source)
    if form.is_valid():
        try:
            services.start_validation(
                request.company,
                source=source,
                user=request.user,
                mapping=form.mapping(),
                update_existing=form.cleaned_data["update_existing"],
                on_error=form.cleaned_data["on_error"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(source)
    return render(request, "imports/detail.html", _detail_context(source, form), status=400)


def _step(request, pk, step, done: str):
    source = get_object_or_404(Import, pk=pk)
    try:
        step(request.company, source=source, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(source)


@require_POST
@company_view(admin=True)
def import_confirm(request, pk):
    return _step(request, pk, services.confirm_import, _("The import has started."))


@require_POST
@company_view(admin=True)
def import_undo(request, pk):
    return _step(request, pk, services.start_undo, _("Undoing the import."))


@company_view(admin=True)
def import_report(request, pk):
    """The rejected rows as a workbook, with the reason next to each."""
    source = get_object_or_404(Import, pk=pk)
    folder = tempfile.mkdtemp()
    path = Path(folder) / "report.xlsx"
    try:
        services.write_report(source, path)
    except (ValidationError, FileNotFoundError):
        messages.error(request, _("The uploaded file is no longer stored, so the report cannot be built."))
        return redirect(source)
    name = f"import-report-{source.pk}.xlsx"
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    path.unlink()  # the open file stays readable until the response closes it
    path.parent.rmdir()
    return response
