"""Every write to segments: saving a filter, renaming, re-ordering, and the default groups."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scope

from audit.services import Action, record
from companies.models import Company
from customers.filters import FILTER_PARAMS
from customers.models import Customer
from segments.models import Segment
from segments.queries import filter_of, query_words, segments_for

# The default groups: a month counts as 30 days in the customer filter, so "3 months" is 90 days.
DEFAULT_SEGMENTS = [
    (Segment.Default.ALL, ""),
    (Segment.Default.NEW, "activity=lt&activity_n=3&activity_unit=months&actions_min=1&actions_max=1"),
    (Segment.Default.LOYAL, "activity=lt&activity_n=3&activity_unit=months&actions_min=2"),
    (Segment.Default.INACTIVE, "activity=gt&activity_n=3&activity_unit=months"),
]


def clean_query(data: QueryDict) -> str:
    """Only the filter's own parameters with a value, in a stable order."""
    kept = QueryDict(mutable=True)
    for name in FILTER_PARAMS:
        for value in data.getlist(name):
            if value.strip():
                kept.appendlist(name, value.strip())
    return kept.urlencode()


MAX_SELECTION = 10_000  # ticked rows an export or a campaign takes; more is the filter's job


@dataclass
class ChosenAudience:
    """An audience as staff chose it on the customer list, checked and kept as it is now, for an
    export or a campaign to record: `kind` is "all", "filter", "segment" or "selection"."""

    kind: str
    description: str
    query: str = ""
    ids: list[int] = field(default_factory=list)
    segment: Segment | None = None

    def customers(self, company: Company):
        """The audience's customers as they are when asked (the filter or segment is live)."""
        if self.kind == "selection":
            return Customer.objects.filter(company=company, pk__in=self.ids)
        return filter_of(company, self.query).qs


def choose_audience(
    company: Company, *, user, kind: str, query: str = "", segment: Segment | int | None = None, ids: Iterable[int] = ()
) -> ChosenAudience:
    """The audience named by the list's choice (all, the current filter, a segment the user sees,
    or ticked rows), with its description; a ValidationError says what is wrong with the choice."""
    if kind == "all":
        return ChosenAudience("all", _("All customers"))
    if kind == "filter":
        query = clean_query(QueryDict(query))
        if not query:
            raise ValidationError(_("The list is not filtered: choose all customers instead."))
        return ChosenAudience("filter", _("Filter: %(rule)s") % {"rule": "; ".join(query_words(company, query))}, query)
    if kind == "segment":
        pk = segment.pk if isinstance(segment, Segment) else segment
        found = segments_for(company, user).filter(pk=pk).first() if pk else None
        if found is None:
            raise ValidationError(_("That segment does not exist or is not shared with you."))
        description = _("Segment “%(name)s”") % {"name": found.display_name}
        return ChosenAudience("segment", description, found.query, segment=found)  # the segment as it is now
    if kind == "selection":
        chosen = sorted(set(ids))
        if not chosen:
            raise ValidationError(_("Tick the customers first."))
        if len(chosen) > MAX_SELECTION:
            raise ValidationError(
                _("At most %(limit)s customers can be ticked; choose the filter instead.") % {"limit": MAX_SELECTION}
            )
        found = list(Customer.objects.filter(company=company, pk__in=chosen).values_list("pk", flat=True))
        if not found:
            raise ValidationError(_("None of the ticked customers exists any more."))
        count = len(found)
        words = ngettext("%(count)s ticked customer", "%(count)s ticked customers", count) % {"count": count}
        return ChosenAudience("selection", words, ids=found)
    raise ValidationError(_("Choose the customers."))


def _check_name(company: Company, name: str, *, owner, exclude_pk: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the segment a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("A name can be at most 100 characters long.")})
    taken = Segment.objects.filter(company=company, name__iexact=name, owner=owner)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": _("There is already a segment named “%(name)s”.") % {"name": name}})
    return name


@transaction.atomic
def create_segment(company: Company, *, name: str, query: QueryDict, shared: bool, actor) -> Segment:
    owner = None if shared else actor
    name = _check_name(company, name, owner=owner)
    last = Segment.objects.filter(company=company).aggregate(last=Max("position"))["last"]
    segment = Segment.objects.create(
        company=company, name=name, query=clean_query(query), owner=owner, position=(last or 0) + 1
    )
    record(company, actor=actor, action=Action.SEGMENT_CREATED, target=segment, shared=shared)
    return segment


@transaction.atomic
def update_segment(company: Company, *, segment: Segment, query: QueryDict, actor) -> Segment:
    # The rule is named, not kept: its values may be what a person is (a name searched for, a city).
    changes = [{"field": "query"}]
    segment.query = clean_query(query)
    segment.save(update_fields=["query", "updated_at"])
    record(
        company, actor=actor, action=Action.SEGMENT_EDITED, target=segment, label=segment.display_name, changes=changes
    )
    return segment


@transaction.atomic
def rename_segment(company: Company, *, segment: Segment, name: str, actor) -> Segment:
    old = segment.display_name
    segment.name = _check_name(company, name, owner=segment.owner, exclude_pk=segment.pk)
    segment.save(update_fields=["name", "updated_at"])
    changes = [{"field": "name", "old": old, "new": segment.name}]
    record(company, actor=actor, action=Action.SEGMENT_EDITED, target=segment, label=segment.name, changes=changes)
    return segment


@transaction.atomic
def delete_segment(company: Company, *, segment: Segment, actor) -> None:
    record(company, actor=actor, action=Action.SEGMENT_DELETED, target=segment, label=segment.display_name)
    segment.delete()


@transaction.atomic
def move_segment(company: Company, *, segment: Segment, up: bool, visible) -> None:
    """Swaps the segment with its neighbour among the segments the user sees."""
    ordered = list(visible.select_for_update())
    index = next(i for i, s in enumerate(ordered) if s.pk == segment.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    # Renumber what the user sees, keeping everyone else's segments where they were.
    positions = sorted(s.position for s in ordered)
    if len(set(positions)) < len(positions):
        positions = list(range(positions[0], positions[0] + len(ordered)))
    for position, item in zip(positions, ordered, strict=True):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


def create_default_groups(company: Company) -> None:
    """A new company's default groups (a step of companies.services.create_company)."""
    with scope(company=company):
        restore_default_segments(company, actor=None)


@transaction.atomic
def restore_default_segments(company: Company, actor=None) -> int:
    """Creates the default groups a company lacks and resets the ones it edited; returns how many
    it had to create or reset. Names are in the company's language."""
    changed = 0
    existing = {s.default: s for s in Segment.objects.filter(company=company).exclude(default="")}
    with translation.override(company.language or None):
        for position, (key, query) in enumerate(DEFAULT_SEGMENTS):
            name = str(Segment.Default(key).label)
            segment = existing.get(key)
            if segment is None:
                Segment.objects.create(company=company, name=name, query=query, default=key, position=position)
                changed += 1
            elif segment.query != query or segment.owner_id is not None:
                segment.query, segment.owner = query, None
                segment.save(update_fields=["query", "owner", "updated_at"])
                changed += 1
    if changed and actor is not None:  # a new company's groups are part of its creation
        record(company, actor=actor, action=Action.SEGMENTS_RESTORED, count=changed)
    return changed
