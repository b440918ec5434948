from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from companies.decorators import company_view
from customers.filters import describe_form
from segments import services
from segments.forms import RenameForm, SegmentForm
from segments.models import Segment
from segments.queries import filter_of, segments_for


def _manageable(request, pk: int) -> Segment:
    """A segment the user may change: their own, or (owners and admins) a shared one."""
    segment = get_object_or_404(segments_for(request.company, request.user), pk=pk)
    if segment.is_shared and not request.membership.is_admin:
        raise PermissionDenied(_("Only owners and admins can change segments shared with the company."))
    return segment


def _with_rule_and_count(company, segments):
    """Each segment's rule in plain words, its live count, and any criterion that no longer applies."""
    for segment in segments:
        filterset = filter_of(company, segment.query)
        filterset.is_valid()
        form = filterset.form
        segment.rule = describe_form(form)
        segment.problems = [str(error) for errors in form.errors.values() for error in errors]
        segment.count = filterset.qs.count()
    return segments


@company_view()
def segment_bar(request):
    """The segments above the customer list with their live counts (loaded after the page)."""
    segments = _with_rule_and_count(request.company, list(segments_for(request.company, request.user)))
    current = request.GET.get("current", "")
    return render(request, "segments/partials/bar.html", {"segments": segments, "current": current})


@company_view()
def segment_list(request):
    segments = _with_rule_and_count(request.company, list(segments_for(request.company, request.user)))
    return render(request, "segments/list.html", {"segments": segments})


@require_POST
@company_view()
def segment_create(request):
    form = SegmentForm(request.POST)
    query = QueryDict(request.POST.get("query", ""))
    if form.is_valid():
        shared = form.cleaned_data["shared"]
        if shared and not request.membership.is_admin:
            raise PermissionDenied(_("Only owners and admins can share segments with the company."))
        try:
            segment = services.create_segment(
                request.company, name=form.cleaned_data["name"], query=query, shared=shared, actor=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Segment %(name)s saved.") % {"name": segment})
            return redirect(segment)
    return render(request, "segments/save.html", {"form": form, "rule": describe_query(request, query)}, status=400)


def describe_query(request, query: QueryDict) -> list[str]:
    filterset = filter_of(request.company, query.urlencode())
    filterset.is_valid()
    return describe_form(filterset.form)


@require_POST
@company_view()
def segment_update(request, pk):
    segment = _manageable(request, pk)
    services.update_segment(
        request.company, segment=segment, query=QueryDict(request.POST.get("query", "")), actor=request.user
    )
    messages.success(request, _("Segment %(name)s now has the current criteria.") % {"name": segment})
    return redirect(segment)


@company_view()
def segment_rename(request, pk):
    segment = _manageable(request, pk)
    form = RenameForm(request.POST or None, initial={"name": segment.display_name})
    if request.method == "POST" and form.is_valid():
        try:
            services.rename_segment(
                request.company, segment=segment, name=form.cleaned_data["name"], actor=request.user
            )
        except ValidationError as error:
            form.add_error("name", error.message_dict.get("name", error.messages))
        else:
            messages.success(request, _("Segment renamed to %(name)s.") % {"name": segment})
            return redirect("segments:list")
    return render(request, "segments/rename.html", {"form": form, "segment": segment})


@company_view()
def segment_delete(request, pk):
    segment = _manageable(request, pk)
    if request.method == "POST":
        name = str(segment)
        services.delete_segment(request.company, segment=segment, actor=request.user)
        messages.success(request, _("Segment %(name)s deleted.") % {"name": name})
        return redirect("segments:list")
    return render(request, "segments/confirm_delete.html", {"segment": segment})


@require_POST
@company_view()
def segment_move(request, pk):
    segment = get_object_or_404(segments_for(request.company, request.user), pk=pk)
    services.move_segment(
        request.company,
        segment=segment,
        up=request.POST.get("direction") == "up",
        visible=segments_for(request.company, request.user),
    )
    return redirect("segments:list")


@require_POST
@company_view(admin=True)
def segment_restore_defaults(request):
    changed = services.restore_default_segments(request.company, actor=request.user)
    if changed:
        messages.success(request, _("The default groups are back as they were."))
    else:
        messages.info(request, _("The default groups were already there, unchanged."))
    return redirect("segments:list")
