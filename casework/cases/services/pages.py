"""What the case pages read: the list, the case page, restricted cases, the forms' choices."""

import base64
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from casework import db, text_search
from casework.accounts.models import User
from casework.actions.models import Action
from casework.actions.services.action_timeline import SubjectAction, TimelineItem, action_events, subject_actions
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.cases.models import (
    AccessRequest,
    Case,
    CaseAgency,
    CaseListCount,
    CaseParty,
    CaseStatus,
    CaseType,
    Note,
    PartyRole,
)
from casework.cases.services import access_requests
from casework.cases.services.lookup import get_case
from casework.clock import today
from casework.exceptions import NotFound
from casework.limits import LINE_MAX
from casework.meetings.models import Meeting, MeetingAttendance, MeetingKind
from casework.paging import LARGEST
from casework.permissions import Permission
from casework.policy import (
    authorize,
    can,
    case_type_as_seen,
    clauses_key,
    full_view_clause,
    full_view_is_involvement,
    may_on_case,
    needs_access_reason,
    open_agendas_chaired,
    shows_contact_details,
    stub_safe,
    visible_cases,
    works_on_clause,
)
from casework.premises.models import Premises
from casework.victims.models import RiskAssessment, RiskLevel, SlaClock
from casework.victims.services import sla

P = Permission


SORTS = {
    "opened": Case.opened_at,
    "reference": Case.reference,
    "lead-agency": Agency.name,
}


# --- The list ----------------------------------------------------------------------


# The list counts its cases exactly up to this many, then says "more than": an exact
# count of a large list reads every case in it, and no one reads its pages to the end.
COUNT_CAP = 1000
# A text search is for finding a case, so it counts only this far ("More than 100
# cases"): past it the user types more of the name or title. Counting to COUNT_CAP
# read about 2,600 cases at county scale to say "More than 1,000" (docs/access.md).
SEARCH_COUNT_CAP = 100
CURSOR_MAX = 400  # characters: a sort value of at most LINE_MAX, an id, quotes


@dataclass(frozen=True)
class CaseFilter:
    scope: str = "mine"  # "mine": my agency's cases; "all": every case I may list
    status: CaseStatus | None = None
    case_type: CaseType | None = None
    lead_agency_id: int | None = None
    town: str = ""
    text: str = ""
    sort: str = "opened"
    descending: bool = True
    # Where the page starts: after or before a row of another page (a cursor from
    # CasePage), or, for links made before the list had cursors, a page number.
    after: str = ""
    before: str = ""
    page: int = 1


class ListedAgency(NamedTuple):
    id: int
    name: str


class ListedCase(NamedTuple):
    """What a row of the list shows of a case: read as columns, not as a ``Case``,
    since building 25 mapped objects cost more than the statement that reads them."""

    id: int
    reference: str
    title: str
    case_type: CaseType
    status: CaseStatus
    town: str
    restricted: bool
    opened_at: datetime
    lead_agency: ListedAgency

    @property
    def is_open(self) -> bool:
        return self.status is CaseStatus.OPEN


# The columns of a ListedCase, lead agency last.
_LISTED = (
    Case.id,
    Case.reference,
    Case.title,
    Case.case_type,
    Case.status,
    Case.town,
    Case.restricted,
    Case.opened_at,
    Agency.id,
    Agency.name,
)


@dataclass(frozen=True)
class CaseRow:
    case: ListedCase
    full_view: bool


@dataclass(frozen=True)
class CasePage:
    items: list[CaseRow]
    total: int  # exact up to the cap (count_cap)
    more_than: bool  # more cases match than the cap: ``total`` is the cap
    next: str | None  # the cursor of the next page, None on the last
    previous: str | None  # the cursor of the previous page, None on the first


# Statements the list builds, kept per worker by what they were built from: the
# policy's reading of the user (clauses_key), the filters and the page's start. Built
# once, a statement also keeps its cache key, so a repeated page only executes it:
# building the list's statements cost several times what SQLite takes to run them.
_BUILT: dict[Hashable, Any] = {}
_BUILT_MAX = 1000


def _built(key: Hashable, build: Callable[[], Any]) -> Any:
    found = _BUILT.get(key)
    if found is None:
        if len(_BUILT) >= _BUILT_MAX:  # rarely reached: a worker serves a few hundred users
            _BUILT.clear()
        found = _BUILT[key] = build()
    return found


def list_cases(actor: User, criteria: CaseFilter, *, per_page: int) -> CasePage:
    """One page of the cases the user may list, by keyset: a page starts after (or
    before) the sort key of a row of the page the user came from, so page 100 costs
    what page 1 does. The total is exact up to count_cap (beyond it, "more than")."""
    authorize(actor, P.CASE_LIST)
    cap = count_cap(criteria)
    shape = (clauses_key(actor), replace(criteria, after="", before="", page=1))
    matching, counting = _built(("cases", shape), lambda: _matching(actor, criteria))
    # The list's statements read columns, not mapped objects: run on the session's
    # connection, they skip the ORM's execution and result set-up (a tenth of the page).
    total = db.session.connection().scalar(counting) or 0
    listing = _Listing(actor, matching, _sort_keys(actor, criteria), shape)
    if (after := _cursor(criteria.after, listing.keys)) is not None:
        rows, has_more = listing.rows(per_page, start=after)
        return _page(rows, total, cap, has_next=has_more, has_previous=True)
    if (before := _cursor(criteria.before, listing.keys)) is not None:
        rows, has_more = listing.rows(per_page, start=before, forwards=False)
        if len(rows) == per_page:
            return _page(rows, total, cap, has_next=True, has_previous=has_more)
        # Fewer rows before it than a page (cases were opened meanwhile): the first page.
    elif criteria.page > 1:
        return _numbered_page(listing, total, cap, per_page, criteria.page)
    rows, has_more = listing.rows(per_page)
    return _page(rows, total, cap, has_next=has_more, has_previous=False)


def count_cap(criteria: CaseFilter) -> int:
    """How far the list counts its cases before it says "more than"."""
    return SEARCH_COUNT_CAP if criteria.text.strip() else COUNT_CAP


def _matching(actor: User, criteria: CaseFilter) -> tuple[Select[Case, bool], Select[int]]:
    """The cases the list shows, and the statement counting them (up to the cap, unless
    the database keeps their count)."""
    matching = visible_cases(actor).where(*_list_conditions(actor, criteria))
    if (kept := _kept_count(actor, criteria)) is not None:
        return matching, kept
    capped = matching.with_only_columns(Case.id).limit(count_cap(criteria) + 1).subquery()
    return matching, select(func.count()).select_from(capped)


def _kept_count(actor: User, criteria: CaseFilter) -> Select[int] | None:
    """The count of the list from case_list_counts, where it is exactly that: the list
    holds only cases seen in full (my agency's, or filtered by status or town, which
    only match those), the user sees in full exactly their agency's cases, and no
    filter reaches past what the counts hold. A few rows a filter, where counting the
    cases probes every one in the town (or the agency) for the agency's involvement."""
    only_full_view = criteria.scope == "mine" or criteria.status is not None or bool(criteria.town)
    if not (only_full_view and full_view_is_involvement(actor)):
        return None
    if criteria.text.strip() or criteria.lead_agency_id is not None:
        return None
    kept = [CaseListCount.agency_id == actor.agency_id]
    if criteria.status is not None:
        kept.append(CaseListCount.status == criteria.status)
    if criteria.case_type is not None:
        kept.append(CaseListCount.case_type == criteria.case_type)
    if criteria.town:
        kept.append(CaseListCount.town == criteria.town)
    return select(func.coalesce(func.sum(CaseListCount.tally), 0)).where(*kept)


def _list_conditions(actor: User, criteria: CaseFilter) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if criteria.scope == "mine" and not can(actor, P.CASE_VIEW_ANY):
        conditions.append(works_on_clause(actor))
    # Filters on what no stub shows match only cases seen in full: one condition for all
    # of them, so the full view is worked out once a row, not once a filter. Each is
    # checked on rows an index of the filter or the order chose, so as a probe a row.
    hidden = []
    if criteria.status is not None:
        hidden.append(Case.status == criteria.status)
    if criteria.case_type is not None:
        conditions.append(stub_safe(actor, Case.case_type == criteria.case_type, shown_on_stub=True, per_row=True))
    if criteria.lead_agency_id is not None:
        conditions.append(Case.lead_agency_id == criteria.lead_agency_id)  # every stub shows it
    if criteria.town:
        hidden.append(Case.town == criteria.town)
    if hidden:
        conditions.append(stub_safe(actor, sa.and_(*hidden), shown_on_stub=False, per_row=True))
    if text := criteria.text.strip():
        # The reference is on every stub; the title only on the full view.
        in_title = stub_safe(actor, text_search.contains(Case.title, text), shown_on_stub=False, per_row=True)
        conditions.append(sa.or_(text_search.contains_capitals(Case.reference, text), in_title))
    return conditions


@dataclass(frozen=True)
class _Key:
    """A column of the list's order and its direction."""

    column: sa.SQLColumnExpression[Any]
    descending: bool
    kind: type  # what a cursor holds for it

    def ordered(self, *, reverse: bool = False) -> sa.UnaryExpression[object]:
        return self.column.desc() if self.descending != reverse else self.column.asc()

    def beyond(self, value: object, *, reverse: bool = False, inclusive: bool = False) -> sa.ColumnElement[bool]:
        """Rows after ``value`` in this key's order (before it, if ``reverse``)."""
        if self.descending != reverse:
            return self.column <= value if inclusive else self.column < value
        return self.column >= value if inclusive else self.column > value


class _Row(NamedTuple):
    case: ListedCase
    full_view: bool
    key: object  # the value of the sort column, as the query compared it


def _encode(row: _Row) -> str:
    """A cursor: the row's sort value and case id, in a URL-safe form. Not a secret:
    what it holds is on the page already (a date, a reference, a type, an agency)."""
    value = row.key.isoformat() if isinstance(row.key, datetime) else str(row.key)
    return base64.urlsafe_b64encode(json.dumps([value, row.case.id]).encode()).decode().rstrip("=")


def _cursor(text: str, keys: tuple[_Key, _Key]) -> tuple[object, int] | None:
    """The sort value and case id a cursor holds; None for anything else (a mangled
    link gives the first page, as a mangled page number does)."""
    if not text or len(text) > CURSOR_MAX:
        return None
    try:
        value, case_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(case_id, int) or isinstance(case_id, bool) or not 0 < case_id <= LARGEST:
        return None
    if not isinstance(value, str) or len(value) > LINE_MAX:
        return None
    if keys[0].kind is str:
        return value, case_id
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (at, case_id) if at.tzinfo is not None else None


def _sort_keys(actor: User, criteria: CaseFilter) -> tuple[_Key, _Key]:
    """The sort column, then the case id to order rows that share a value: newest
    first, except in date order, where it goes the way of the dates (and the index)."""
    if criteria.sort == "opened" or criteria.sort not in (*SORTS, "type"):
        return _Key(Case.opened_at, criteria.descending, datetime), _Key(Case.id, criteria.descending, int)
    column = case_type_as_seen(actor) if criteria.sort == "type" else SORTS[criteria.sort]
    return _Key(column, criteria.descending, str), _Key(Case.id, True, int)


@dataclass(frozen=True)
class _Listing:
    actor: User
    matching: Select[Case, bool]  # the cases listed: visible, and filtered
    keys: tuple[_Key, _Key]
    shape: Hashable  # what ``matching`` was built from

    def rows(
        self, per_page: int, *, start: tuple[object, int] | None = None, forwards: bool = True, offset: int = 0
    ) -> tuple[list[_Row], bool]:
        """A page of rows in the list's order, from the start or beyond ``start`` (going
        back from it when not ``forwards``), and whether there are more that way.

        The page's ids are chosen first, and only then are their cases read with the
        full view worked out for each: PostgreSQL otherwise plans that column for every
        case the user may list (a hashed subplan over all their agency's cases)."""
        key = ("case rows", self.shape, per_page, start, forwards, offset)
        query = _built(key, lambda: self._query(per_page, start, forwards, offset))
        rows = [
            _Row(ListedCase._make((*row[:8], ListedAgency._make(row[8:10]))), bool(row[10]), row[11])
            for row in db.session.connection().execute(query)
        ]
        has_more = len(rows) > per_page
        rows = rows[:per_page]
        return (rows if forwards else rows[::-1]), has_more

    def _query(
        self, per_page: int, start: tuple[object, int] | None, forwards: bool, offset: int
    ) -> Select[*tuple[Any, ...]]:
        first, tie = self.keys
        reverse = not forwards
        ids: Select[int, Any] = self.matching.with_only_columns(Case.id.label("id"), first.column.label("sort_key"))
        if first.column is SORTS["lead-agency"]:
            # Only that order needs the agency: without it, the page's ids (and an old
            # link's OFFSET) come from the date index alone.
            ids = ids.join(Agency, Agency.id == Case.lead_agency_id)
        ids = (
            ids.order_by(first.ordered(reverse=reverse), tie.ordered(reverse=reverse))
            .limit(per_page + 1)
            .offset(offset)
        )
        if start is not None:
            value, case_id = start
            # The first condition bounds an index range; the second leaves out the rows
            # that share the start's value up to and including the start itself.
            ids = ids.where(
                first.beyond(value, reverse=reverse, inclusive=True),
                sa.or_(first.beyond(value, reverse=reverse), tie.beyond(case_id, reverse=reverse)),
            )
        page = ids.subquery()
        visible = visible_cases(self.actor)
        query = (
            visible.with_only_columns(*_LISTED, visible.selected_columns.full_view, page.c.sort_key)
            .join(page, page.c.id == Case.id)
            .join(Agency, Agency.id == Case.lead_agency_id)
            .order_by(
                _Key(page.c.sort_key, first.descending, first.kind).ordered(reverse=reverse),
                _Key(page.c.id, tie.descending, int).ordered(reverse=reverse),
            )
        )
        return query


def _numbered_page(listing: _Listing, total: int, cap: int, per_page: int, number: int) -> CasePage:
    """A page by its number, as the list's links once were: read by OFFSET, so an old
    bookmark still opens where it did, with cursors from there on. Past the end, the
    last page."""
    offset = (number - 1) * per_page
    if offset >= total and total <= cap:
        offset = max(0, (-(-total // per_page) - 1) * per_page)  # the last page, known from the count
    rows, has_more = listing.rows(per_page, offset=offset)
    if not rows:  # past the end of a list longer than the cap: its last rows
        rows, has_more = listing.rows(per_page, forwards=False)
        return _page(rows, total, cap, has_next=False, has_previous=has_more)
    return _page(rows, total, cap, has_next=has_more, has_previous=offset > 0)


def _page(rows: list[_Row], total: int, cap: int, *, has_next: bool, has_previous: bool) -> CasePage:
    cursors = [_encode(row) for row in rows[:1] + rows[-1:]]
    return CasePage(
        [CaseRow(row.case, row.full_view) for row in rows],
        min(total, cap),
        total > cap,
        next=cursors[-1] if has_next and rows else None,
        previous=cursors[0] if has_previous and rows else None,
    )


def known_towns(actor: User) -> list[str]:
    """Towns of the cases the user sees in full, for the area filter.

    For a user who sees in full exactly their agency's cases, the towns their agency's
    counts hold (a few rows of one index, read in order). For others, read town by
    town through the index on ``cases.town`` (each next town is the smallest one after
    the last), and each kept if a case there is seen in full: a few index probes per
    town, however many cases there are, where a DISTINCT over the user's cases would
    read every one of them."""
    return list(db.session.connection().scalars(_built(("towns", clauses_key(actor)), lambda: _towns(actor))))


def _towns(actor: User) -> Select[str]:
    if full_view_is_involvement(actor):
        kept = CaseListCount.agency_id == actor.agency_id, CaseListCount.town > "", CaseListCount.tally > 0
        return select(CaseListCount.town).where(*kept).group_by(CaseListCount.town).order_by(CaseListCount.town)
    towns = select(func.min(Case.town).label("town")).where(Case.town > "").cte("towns", recursive=True)
    following = select(func.min(Case.town)).where(Case.town > towns.c.town).scalar_subquery()
    towns = towns.union_all(select(following).where(towns.c.town.is_not(None)))
    # A case there, as a scalar subquery rather than EXISTS: PostgreSQL would turn an
    # EXISTS into a join with every case the user sees, where this stays a probe a town.
    seen = select(Case.id).where(Case.town == towns.c.town, full_view_clause(actor)).limit(1).scalar_subquery()
    return select(towns.c.town).where(towns.c.town.is_not(None), seen.is_not(None)).order_by(towns.c.town)


# --- One case ----------------------------------------------------------------------


@dataclass(frozen=True)
class PartyView:
    party: CaseParty
    contact_details_shown: bool


@dataclass
class CasePageData:
    case: Case
    full_view: bool
    # The open PSG meeting the viewer chairs that gives them the full view, if that is
    # the only reason they have it.
    through_meeting: int | None = None
    subject_name: str = ""
    parties: dict[PartyRole, list[PartyView]] = field(default_factory=dict)
    agencies: list[CaseAgency] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    actions: list[SubjectAction] = field(default_factory=list)
    # Notes and the actions' creation and updates, newest first.
    timeline: list[TimelineItem] = field(default_factory=list)
    # Pending requests for access the viewer may decide; on a stub, the viewer's own latest.
    access_requests: list[AccessRequest] = field(default_factory=list)
    own_request: AccessRequest | None = None
    allowed: frozenset[Permission] = frozenset()
    # Victims' latest assessment and open SLA clocks, by person id.
    risk: dict[int, RiskAssessment] = field(default_factory=dict)
    clocks: dict[int, list[SlaClock]] = field(default_factory=dict)
    removed: list[CaseParty] = field(default_factory=list)
    conferences: list[Meeting] = field(default_factory=list)
    # On a stub: the highest current level among the case's victims (DESIGN.md section 1).
    stub_risk: RiskLevel | None = None


_Party = TypeVar("_Party")


def subject_name(case: Case) -> str:
    """The person the case is about, as shown on a stub: the first victim or perpetrator."""
    parties = sorted((p for p in case.parties if p.removed_at is None), key=lambda p: p.id)
    subject = subject_party(case.case_type, [(p.role, p) for p in parties])
    return subject.person.full_name if subject is not None else ""


def subject_party(case_type: CaseType, parties: Sequence[tuple[PartyRole, _Party]]) -> _Party | None:
    """Of a case's current parties (role, party), in the order they were added, the one a
    stub names: the first with the role the case is about, else the first of all; none
    for a case about a place or a problem."""
    wanted = {CaseType.VICTIM: PartyRole.VICTIM, CaseType.PERPETRATOR: PartyRole.PERPETRATOR}.get(case_type)
    if wanted is None or not parties:
        return None
    return next((party for role, party in parties if role == wanted), parties[0][1])


def case_page(
    actor: User,
    reference: str,
    *,
    today: date | None = None,
    access_reasons: Mapping[int, dict[str, str]] | None = None,
) -> CasePageData:
    """Everything the case page shows, and the audit record of this view.

    ``today`` is the local date the actions' RAG is worked out for; ``access_reasons``
    are the reasons this user gave in this session for opening restricted cases, by case
    id: the one for this case goes with every view of it.
    """
    case, full_view, works_on = _visible_case(actor, reference)
    data = CasePageData(case=case, full_view=full_view)
    viewed = _viewed(case, full_view=full_view, access_reasons=access_reasons)
    if full_view and not works_on:
        data.through_meeting = viewed["meeting"] = _chaired_meeting(actor, case)
    audit.record(actor, "case.viewed", "case", case.id, case_id=case.id, detail=viewed)
    if full_view:
        _fill_full_view(actor, data, today=today or _local_today(), works_on=works_on)
    else:
        _fill_stub(actor, data)
    return data


def _viewed(case: Case, *, full_view: bool, access_reasons: Mapping[int, dict[str, str]] | None) -> dict[str, object]:
    """The detail of a ``case.viewed`` event: which view, and for a restricted case seen
    in full the reason given for opening it this session."""
    viewed: dict[str, object] = {"view": "full" if full_view else "stub"}
    if needs_access_reason(case, full_view=full_view):
        viewed["access_reason"] = (access_reasons or {}).get(case.id) or {}
    return viewed


def record_view(
    actor: User,
    case: Case | int,
    *,
    page: str,
    person_id: int | None = None,
    access_reasons: Mapping[int, dict[str, str]] | None = None,
) -> None:
    """The audit record of a page other than the case page that shows the case's data in
    full (a form about it, a person on it, an action on it), under ``case.viewed`` like
    the case page itself, naming the page and the person it is about."""
    if isinstance(case, int):
        case = db.session.get_one(Case, case)
    viewed = {**_viewed(case, full_view=True, access_reasons=access_reasons), "page": page}
    audit.record(actor, "case.viewed", "case", case.id, case_id=case.id, person_id=person_id, detail=viewed)


def _visible_case(actor: User, reference: str) -> tuple[Case, bool, bool]:
    """The case with everything both views show, whether the actor sees all of it and
    whether they work on it."""
    query = (
        visible_cases(actor)
        .add_columns(works_on_clause(actor))
        .where(Case.reference == reference.upper())
        .options(
            joinedload(Case.lead_agency),
            joinedload(Case.lead_officer),
            joinedload(Case.opened_by),
            joinedload(Case.premises),
            selectinload(Case.parties).joinedload(CaseParty.person),
            selectinload(Case.agencies).options(joinedload(CaseAgency.agency), joinedload(CaseAgency.added_by)),
        )
    )
    row = db.session.execute(query).first()
    if row is None:
        raise NotFound("case", reference)
    return row[0], bool(row[1]), bool(row[2])


def _chaired_meeting(actor: User, case: Case) -> int | None:
    """The open PSG meeting, chaired by the actor, whose agenda shows them this case."""
    meetings = open_agendas_chaired(actor).where(Case.id == case.id).order_by(Meeting.held_at, Meeting.id)
    return db.session.scalar(meetings.limit(1))


def _fill_stub(actor: User, data: CasePageData) -> None:
    """A stub: who the case is about and who is involved, unless it is restricted."""
    case = data.case
    if not case.restricted:
        data.subject_name = subject_name(case)
        data.agencies = list(case.agencies)
        data.stub_risk = _highest_current_level(case)
    if can(actor, P.CASE_REQUEST_ACCESS):
        data.allowed = frozenset({P.CASE_REQUEST_ACCESS})
        data.own_request = access_requests.latest_request(actor, case.id)


def _fill_full_view(actor: User, data: CasePageData, *, today: date, works_on: bool) -> None:
    case = data.case
    data.subject_name = subject_name(case)
    current = [party for party in case.parties if party.removed_at is None]
    data.removed = [party for party in case.parties if party.removed_at is not None]
    roles_by_person = _roles_anywhere({party.person_id for party in case.parties})
    for role in PartyRole:
        data.parties[role] = [
            PartyView(party, shows_contact_details(actor, roles_by_person[party.person_id]))
            for party in current
            if party.role is role
        ]
    if data.parties[PartyRole.VICTIM]:
        data.risk = sla.latest_assessments(case.id)
        data.clocks = sla.open_or_overdue_at_closing_clocks(case.id)
    data.conferences = _conferences(case.id)
    data.agencies = list(case.agencies)
    data.notes = list(
        db.session.scalars(
            select(Note)
            .where(Note.case_id == case.id)
            .options(joinedload(Note.author))
            .order_by(Note.created_at.desc(), Note.id.desc())
        )
    )
    data.actions = subject_actions(actor, Action.case_id == case.id, today=today)
    data.timeline = sorted(
        [TimelineItem(note.created_at, note.kind.label, note.author.name, [note.body]) for note in data.notes]
        + action_events(row.action for row in data.actions),
        key=lambda item: item.at,
        reverse=True,
    )
    data.allowed = _allowed_on_full_view(actor, case, works_on=works_on)
    if can(actor, P.ACCESS_REQUEST_DECIDE):
        data.access_requests = access_requests.pending_on_case(actor, case)


def _allowed_on_full_view(actor: User, case: Case, *, works_on: bool) -> frozenset[Permission]:
    """What the page offers the actor: the buttons and links it shows."""
    return frozenset(
        permission
        for permission in (
            P.CASE_EDIT,
            P.CASE_NOTE,
            P.CASE_ADD_PERSON,
            P.CASE_REMOVE_PERSON,
            P.CASE_ADD_AGENCY,
            P.CASE_SHARE,
            P.CASE_CLOSE,
            P.RISK_ASSESS,
            P.CONFERENCE_RECORD,
            P.ACTION_CREATE,
        )
        if may_on_case(actor, permission, case, full_view=True, works_on=works_on)
    )


def _local_today() -> date:
    return today()


def _highest_current_level(case: Case) -> RiskLevel | None:
    victims = {party.person_id for party in case.parties if party.role is PartyRole.VICTIM and party.removed_at is None}
    levels = [a.level for person_id, a in sla.latest_assessments(case.id).items() if person_id in victims]
    return max(levels, key=lambda level: level.rank, default=None)


def _conferences(case_id: int) -> list[Meeting]:
    """The case's conferences, newest first, with who attended."""
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.case_id == case_id, Meeting.kind == MeetingKind.CASE_CONFERENCE)
            .options(selectinload(Meeting.attendance).joinedload(MeetingAttendance.agency))
            .order_by(Meeting.held_at.desc())
        )
    )


def _roles_anywhere(person_ids: set[int]) -> dict[int, set[PartyRole]]:
    """Each person's roles on every case, so a victim elsewhere stays protected here too."""
    roles: dict[int, set[PartyRole]] = {person_id: set() for person_id in person_ids}
    if person_ids:
        rows = db.session.execute(
            select(CaseParty.person_id, CaseParty.role).where(CaseParty.person_id.in_(person_ids)).distinct()
        )
        for person_id, role in rows:
            roles[person_id].add(role)
    return roles


# --- Restricted cases: a reason before the full view ----------------------------------


def case_needing_reason(actor: User, reference: str) -> Case | None:
    """The case, if this user must say why before opening it; None otherwise (including
    a case they may not see at all, which the page itself answers with a 404)."""
    row = db.session.execute(visible_cases(actor).where(Case.reference == reference.upper())).first()
    if row is None or not needs_access_reason(row[0], full_view=bool(row[1])):
        return None
    return row[0]


def restricted_cases_of_person(actor: User, person_id: int) -> list[Case]:
    """The restricted cases a person is on that this user sees in full: their person page
    shows what those cases hold, so each needs a reason too."""
    # Driven from the person's parties (their index), not a probe of every case: SQLite
    # runs a correlated EXISTS once per row of ``cases``.
    on_cases = select(CaseParty.case_id).where(CaseParty.person_id == person_id)
    query = visible_cases(actor).where(Case.restricted.is_(True), Case.id.in_(on_cases)).order_by(Case.id)
    return [
        case for case, full_view in db.session.execute(query) if needs_access_reason(case, full_view=bool(full_view))
    ]


def restricted_case_of_action(actor: User, action_id: int) -> list[Case]:
    """The restricted case an action is about, if this user sees it in full."""
    # The case by its primary key, not a probe of every case (as above).
    case_id = select(Action.case_id).where(Action.id == action_id).scalar_subquery()
    query = visible_cases(actor).where(Case.restricted.is_(True), Case.id == case_id)
    return [
        case for case, full_view in db.session.execute(query) if needs_access_reason(case, full_view=bool(full_view))
    ]


# --- Choices for the forms -----------------------------------------------------------


def premises_licence_of(case: Case) -> str:
    """The licence number of the premises the case is linked to, for the edit form."""
    if case.premises_id is None:
        return ""
    return db.session.scalar(select(Premises.licence_number).where(Premises.id == case.premises_id)) or ""


def lead_officer_choices(actor: User, reference: str) -> list[User]:
    case = get_case(actor, reference, P.CASE_EDIT)
    return list(
        db.session.scalars(
            select(User).where(User.agency_id == case.lead_agency_id, User.active.is_(True)).order_by(User.name)
        )
    )


def agencies_not_involved(actor: User, reference: str) -> list[Agency]:
    case = get_case(actor, reference, P.CASE_SHARE)
    involved = select(CaseAgency.agency_id).where(CaseAgency.case_id == case.id)
    return list(
        db.session.scalars(
            select(Agency).where(Agency.active.is_(True), Agency.id.not_in(involved)).order_by(Agency.name)
        )
    )
