"""The mission's findings: what its visits show.

Only reviewed visits count; a visit sent back for correction never does, and a visit awaiting
review only when asked for (a preliminary statement on election night, if the mission allows
it). Every count of polling stations is a count of distinct stations, and every combination
a statement prints (severities together, questions across checklist versions, phases, areas)
is computed here, never summed later.

Every finding carries its evidence as references (visit, answer and incident ids) so a
statement sentence built from it can show the visits behind it. The number of queries does
not depend on the number of visits, and no query reads every answer: a question's observed
stations come from the visits (each visit records the questions of its checklist it did not
observe, `Visit.unobserved`), and so do concerns (`Visit.concerns`, with their answer ids).

The visits are read in one plain scan, unsorted, so the plan is the same on the statistics
of a fresh import as after ANALYZE, and no query is costed anywhere near the point where
PostgreSQL would compile it (JIT). The grouping is done here, in passes over the rows.
"""

import gc
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from django.db import connection
from django.db.models import BigIntegerField, Func, TextField
from django.db.models.functions import Cast

from missions.content_languages import languages
from missions.models import Mission, Phase
from reports.models import Checklist, Incident, Question, Severity, Visit, localized
from stations.models import Area, PollingStation

SEVERITY_ORDER = [Severity.MINOR, Severity.SERIOUS, Severity.CRITICAL]
# The phases of election day itself; a pre-election visit is not part of the day's coverage.
ELECTION_DAY_PHASES = (Phase.OPENING, Phase.VOTING, Phase.CLOSING)
TRANSLATED_TEXTS = ("text", "help_text", "clear_sentence", "clear_item", "concern_sentence")


@dataclass
class Evidence:
    """References to what a finding rests on."""

    visit_ids: list[int] = field(default_factory=list)
    answer_ids: list[int] = field(default_factory=list)
    incident_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[int]]:
        return {
            "visits": sorted(self.visit_ids),
            "answers": sorted(self.answer_ids),
            "incidents": sorted(self.incident_ids),
        }


@dataclass
class PhaseCount:
    phase: str
    visits: int
    stations: int


@dataclass
class AreaCoverage:
    """Stations visited under one parent area (a city or region), by its districts."""

    parent: str
    parent_kind: str
    districts: list[str]
    stations: int


@dataclass
class QuestionFinding:
    code: str
    checklist: str
    text: str
    phase: str
    section: str
    section_position: int
    position: int
    severity: str
    reference: str
    clear_sentence: str
    concern_sentence: str
    can_signal_concern: bool
    # Language → field → text, for text, help_text, clear_sentence and concern_sentence.
    translations: dict
    # Distinct stations where the question was observed (an answer with a value; "not
    # observed" is no answer): `stations_answered` is the same figure, by its older name.
    stations_answered: int
    stations_with_concern: int
    evidence: Evidence
    stations_observed: int = 0
    # The short phrase a statement lists among what every clear station had.
    clear_item: str = ""
    # Where the stations with a concern are: (parent area, area) names, parent first.
    concern_areas: list[tuple[str, str]] = field(default_factory=list)

    @property
    def observed(self) -> int:
        """Distinct stations where the question was observed (the monitoring section's word)."""
        return self.stations_observed

    def localized(self, field: str, language: str) -> str:
        return self.translations.get(language, {}).get(field) or getattr(self, field)

    @property
    def stations_clear(self) -> int:
        return self.stations_answered - self.stations_with_concern

    @property
    def all_clear(self) -> bool:
        return self.stations_answered > 0 and self.stations_with_concern == 0


@dataclass
class IncidentCount:
    category: str
    severity: str
    incidents: int
    stations: int
    complaints: int


@dataclass
class Turnout:
    phase: str | None
    stations: int
    voters: int
    ballots: int
    official: Decimal | None

    @property
    def observed(self) -> Decimal | None:
        if not self.voters:
            return None
        return (Decimal(self.ballots) * 100 / Decimal(self.voters)).quantize(Decimal("0.01"))


@dataclass
class Findings:
    mission_id: int
    visits: int
    stations: int
    evidence: Evidence
    phases: list[PhaseCount]
    # Election day only: the stations visited from opening to count, and where they are.
    election_day_stations: int
    election_day_evidence: Evidence
    coverage: list[AreaCoverage]
    questions: list[QuestionFinding]
    incidents: list[IncidentCount]
    incident_evidence: Evidence
    complaints: int
    complaint_evidence: Evidence
    stations_with_concern_by_severity: dict[str, int]
    concern_evidence_by_severity: dict[str, Evidence]
    turnout: Turnout
    turnout_evidence: Evidence
    # (visit id, station id, phase, checklist code) of every visit: one row per visit, for
    # picking the evidence of a group of questions without another query.
    visit_index: list[tuple[int, int, str, str]] = field(default_factory=list)
    incident_index: list[tuple[int, int, str, str, bool]] = field(default_factory=list)
    # Distinct stations with a serious or critical concern or incident ("grave"), and with a
    # minor one: each station once, whatever it has and however often.
    grave_stations: int = 0
    grave_evidence: Evidence = field(default_factory=Evidence)
    minor_stations: int = 0
    minor_evidence: Evidence = field(default_factory=Evidence)
    # The review rule the findings were computed under, and what it left out.
    includes_awaiting_review: bool = False
    visits_awaiting_review: int = 0
    visits_sent_back: int = 0
    # Visits awaiting review that were counted (only when includes_awaiting_review).
    visits_unreviewed_included: int = 0

    def visit_ids_in(self, phases: Iterable[str], checklists: Iterable[str] | None = None):
        phases = set(phases)
        checklists = set(checklists) if checklists is not None else None
        return [
            visit
            for visit, _station, phase, checklist in self.visit_index
            if phase in phases and (checklists is None or checklist in checklists)
        ]

    def checklist_evidence(self, checklist: str) -> Evidence:
        return Evidence(visit_ids=[v for v, _s, _p, c in self.visit_index if c == checklist])

    def stations_checked(self, checklist: str) -> int:
        return len({s for _v, s, _p, c in self.visit_index if c == checklist})

    def incident_evidence_for(self, category: str, severity: str) -> Evidence:
        found = Evidence()
        for incident, visit, row_category, row_severity, _complaint in self.incident_index:
            if (row_category, row_severity) == (category, severity):
                found.incident_ids.append(incident)
                found.visit_ids.append(visit)
        return found

    def question(self, checklist: str, code: str) -> QuestionFinding | None:
        return next(
            (q for q in self.questions if q.checklist == checklist and q.code == code), None
        )

    def phase(self, phase: str) -> PhaseCount | None:
        return next((p for p in self.phases if p.phase == phase), None)

    @property
    def worst_severity(self) -> str | None:
        """The gravest severity of any concern or incident on file, if any."""
        worst = None
        for severity in SEVERITY_ORDER:
            if self.stations_with_concern_by_severity.get(severity) or any(
                i.severity == severity for i in self.incidents
            ):
                worst = severity
        return worst


def included_reviews(*, include_awaiting_review: bool) -> tuple[str, ...]:
    """The review states whose visits count: reviewed, and awaiting review if asked for."""
    if include_awaiting_review:
        return (Visit.Review.REVIEWED, Visit.Review.SUBMITTED)
    return (Visit.Review.REVIEWED,)


def findings_for_statement(*, statement) -> "Findings":
    """The findings a statement is compiled from (and approved against).

    A preliminary statement counts visits awaiting review too when its mission allows it;
    every other statement counts reviewed visits only.
    """
    mission = statement.mission
    include = statement.kind == "preliminary" and mission.preliminary_includes_unreviewed
    return findings_compute(mission=mission, include_awaiting_review=include)


def findings_compute(*, mission: Mission, include_awaiting_review: bool = False) -> Findings:
    """Compute the mission's findings from its reviewed visits (and, if asked, those
    awaiting review); a visit sent back for correction never counts."""
    with _no_cycle_collection():
        return _findings_compute(mission, include_awaiting_review)


@contextmanager
def _no_cycle_collection():
    """Hold Python's cycle collector while the findings are computed.

    They make hundreds of thousands of small tuples and lists at election scale, and none
    in a reference cycle: every burst of allocations would start a collection that walks
    every object alive, the rows included, again and again (parsing the concerns of 66,000
    visits took 70 to 160 ms with it, 25 ms without). Whatever the findings drop is freed at
    once without it; it runs again after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _findings_compute(mission: Mission, include_awaiting_review: bool) -> Findings:
    counted_reviews = included_reviews(include_awaiting_review=include_awaiting_review)
    checklists = {
        pk: (code, phase)
        for pk, code, phase in Checklist.objects.filter(mission=mission).values_list(
            "id", "code", "phase"
        )
    }
    visits = _visits(mission)
    reviews = Counter(map(itemgetter(3), visits))
    awaiting, sent_back = reviews[Visit.Review.SUBMITTED], reviews[Visit.Review.RETURNED]
    counted = [row for row in visits if row[3] in counted_reviews]
    station_of = {row[0]: row[1] for row in counted}
    visited = set(station_of.values())
    label_of = {pk: (phase, code) for pk, (code, phase) in checklists.items()}
    visit_index = [(row[0], row[1]) + label_of[row[2]] for row in counted]

    phase_order = {value: index for index, value in enumerate(Phase.values)}
    visits_by_phase = Counter(map(itemgetter(2), visit_index))
    # A phase (or election day) that has all the visits has all the stations: no pass over
    # the visits is needed to find them.
    phases = [
        PhaseCount(
            phase,
            visits_by_phase[phase],
            len(visited)
            if visits_by_phase[phase] == len(counted)
            else len({s for _v, s, p, _c in visit_index if p == phase}),
        )
        for phase in sorted(visits_by_phase, key=lambda phase: phase_order.get(phase, 99))
    ]
    if set(visits_by_phase) <= set(ELECTION_DAY_PHASES):
        election_day_ids, election_day_stations = list(station_of), visited
    else:
        election_day_ids = [v for v, _s, p, _c in visit_index if p in ELECTION_DAY_PHASES]
        election_day_stations = {s for _v, s, p, _c in visit_index if p in ELECTION_DAY_PHASES}

    places = _places(visited)
    answers = _answers(mission, counted, places)
    concern_stations = answers.pop("concern_stations")
    incidents = _incidents(mission, station_of)
    grave = _gravity(
        (Severity.SERIOUS, Severity.CRITICAL), answers, concern_stations, incidents, station_of
    )
    minor = _gravity((Severity.MINOR,), answers, concern_stations, incidents, station_of)
    return Findings(
        mission_id=mission.pk,
        visits=len(counted),
        stations=len(visited),
        evidence=Evidence(visit_ids=list(station_of)),
        phases=phases,
        election_day_stations=len(election_day_stations),
        election_day_evidence=Evidence(visit_ids=election_day_ids),
        coverage=_coverage(places, election_day_stations),
        **answers,
        **incidents,
        **_turnout(mission, counted, checklists),
        visit_index=visit_index,
        grave_stations=grave[0],
        grave_evidence=grave[1],
        minor_stations=minor[0],
        minor_evidence=minor[1],
        includes_awaiting_review=include_awaiting_review,
        visits_awaiting_review=0 if include_awaiting_review else awaiting,
        visits_sent_back=sent_back,
        visits_unreviewed_included=awaiting if include_awaiting_review else 0,
    )


def _gravity(severities, answers, concern_stations, incidents, station_of):
    """Distinct stations with a concern or an incident of any of these severities."""
    stations: set[int] = set()
    found = Evidence()
    for severity in severities:
        stations |= concern_stations[severity]
        part = answers["concern_evidence_by_severity"][severity]
        found.answer_ids += part.answer_ids
        found.visit_ids += part.visit_ids
    for incident, visit, _category, severity, _complaint in incidents["incident_index"]:
        if severity in severities:
            stations.add(station_of[visit])
            found.incident_ids.append(incident)
            found.visit_ids.append(visit)
    found.visit_ids = sorted(set(found.visit_ids))
    return len(stations), found


def _coverage(places: dict[int, tuple], stations: set[int]) -> list[AreaCoverage]:
    stations_by_area: dict[int, int] = defaultdict(int)
    for station in stations:
        area = places[station][0] if station in places else None
        if area is not None:
            stations_by_area[area] += 1
    areas = Area.objects.filter(pk__in=list(stations_by_area)).select_related("parent")
    grouped: dict[int | None, AreaCoverage] = {}
    for area in sorted(areas, key=lambda a: a.path):
        parent = area.parent or area
        cover = grouped.setdefault(parent.pk, AreaCoverage(parent.name, parent.kind, [], 0))
        if area.parent is not None:
            cover.districts.append(area.name)
        cover.stations += stations_by_area[area.pk]
    return sorted(grouped.values(), key=lambda c: (-c.stations, c.parent))


class _Instant(Func):
    """A moment as a value that sorts in time order and reads fast: microseconds since 1970
    on PostgreSQL (its timestamps take several times longer to read than integers), the
    stored UTC text elsewhere (SQLite's ISO timestamps sort as they happened)."""

    template = "%(expressions)s"
    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(extract(epoch FROM %(expressions)s) * 1000000)::bigint",
            **extra,
        )


def _visits(mission: Mission) -> list[tuple]:
    """Every visit of the mission, read once, in the order of the visits' ids.

    One row a visit: id, station, checklist, review, voters on the list, ballots issued,
    arrival (an _Instant), then its concerns and its unobserved questions (JSON text, EMPTY
    when there are none). One plain scan whatever the table's statistics say: the database
    is not asked to sort (a sort of the whole mission spilled to disk on a fresh import's
    plan). The rows are read as the database gives them, without a model's conversions.
    """
    query = (
        Visit.objects.filter(mission=mission)
        .order_by()
        .annotate(
            arrival=_Instant("arrived_at"),
            concern_text=Cast("concerns", TextField()),
            unobserved_text=Cast("unobserved", TextField()),
        )
        .values_list(
            "id",
            "station_id",
            "checklist_id",
            "review",
            "voters_on_list",
            "ballots_issued",
            "arrival",
            "concern_text",
            "unobserved_text",
        )
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Ids are unique: the tuples sort by id alone, and they come nearly in order already.
    rows.sort()
    return rows


# An empty list, as JSON text.
EMPTY = "[]"


def _places(stations: set[int]) -> dict[int, tuple[int | None, str, str]]:
    """Each station's area: (area id, area name, parent area name), in one query."""
    return {
        station: (area, name or "", parent or "")
        for station, area, name, parent in PollingStation.objects.filter(
            pk__in=list(stations)
        ).values_list("pk", "area_id", "area__name", "area__parent__name")
    }


def _answers(mission: Mission, counted, places) -> dict:
    """Questions, and concerns by severity: from the visits and the concern answers only."""
    # A question is known by its checklist's code and its own: "voting/info_materials" and
    # "pre_election/info_materials" are different checks. Versions of a checklist share both;
    # the newest version's wording of each question stands for all versions.
    questions = list(
        Question.objects.filter(checklist__mission=mission)
        .select_related("checklist", "section")
        .order_by("checklist__code", "code", "-checklist__version")
    )
    key_of = {q.pk: (q.checklist.code, q.code) for q in questions}
    severity_of = {q.pk: q.severity for q in questions}
    questions_of: dict[int, list[int]] = defaultdict(list)
    newest: dict[tuple[str, str], Question] = {}
    for question in questions:
        questions_of[question.checklist_id].append(question.pk)
        newest.setdefault(key_of[question.pk], question)

    # Observed: every question of a visit's checklist version but those it did not observe.
    observed: dict[tuple[str, str], set[int]] = defaultdict(set)
    plain_pairs = {(row[1], row[2]) for row in counted if row[8] == EMPTY}
    partly = [row for row in counted if row[8] != EMPTY]
    unobserved = _lists((row[0], row[8]) for row in partly)
    for visit, station, checklist, *_rest in partly:
        skipped = set(unobserved[visit])
        for question in questions_of[checklist]:
            if question not in skipped:
                observed[key_of[question]].add(station)
    for station, checklist in plain_pairs:
        for question in questions_of[checklist]:
            observed[key_of[question]].add(station)

    # Concerns, with the answers behind them: [question id, answer id] pairs kept with each
    # visit, so no query reads the answers table.
    concern_stations: dict[tuple[str, str], set[int]] = defaultdict(set)
    evidence: dict[tuple[str, str], Evidence] = defaultdict(Evidence)
    by_severity: dict[str, set[int]] = {severity: set() for severity in Severity.values}
    severity_evidence = {severity: Evidence() for severity in Severity.values}
    with_concerns = [row for row in counted if row[7] != EMPTY]
    concerns = json.loads("[" + ",".join(map(itemgetter(7), with_concerns)) + "]")
    # Grouped by question first, so each concern answer costs one append; the rest is done
    # a question at a time. The visits come in the order of their ids.
    by_question: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for (visit, station, *_rest), pairs in zip(with_concerns, concerns, strict=True):
        for question, answer in pairs:
            by_question[question].append((visit, answer, station))
    for question, items in by_question.items():
        key, severity = key_of[question], severity_of[question]
        visits_of, answers_of, stations_of = zip(*items, strict=True)
        visit_ids, answer_ids, stations = list(visits_of), list(answers_of), set(stations_of)
        concern_stations[key] |= stations
        evidence[key].answer_ids += answer_ids
        evidence[key].visit_ids += visit_ids
        by_severity[severity] |= stations
        severity_evidence[severity].answer_ids += answer_ids
        severity_evidence[severity].visit_ids += visit_ids

    # Where the concerns are, for the sentences that say so: (parent area, area) names of the
    # stations with a concern, in one query.
    areas = {}
    for station in set().union(*concern_stations.values()):
        _area, area, parent = places.get(station, (None, "", ""))
        if area:
            areas[station] = (parent, area)
    findings = []
    for key, question in newest.items():
        stations = observed.get(key)
        if not stations:
            continue
        concerns = concern_stations[key] & stations
        findings.append(
            QuestionFinding(
                code=question.code,
                checklist=question.checklist.code,
                text=question.text,
                phase=question.checklist.phase,
                section=question.section.title,
                section_position=question.section.position,
                position=question.position,
                severity=question.severity,
                reference=question.reference,
                clear_sentence=question.clear_sentence,
                concern_sentence=question.concern_sentence,
                can_signal_concern=bool(question.concern_answers)
                or question.concern_above is not None,
                translations=_question_texts(question),
                stations_answered=len(stations),
                stations_with_concern=len(concerns),
                evidence=evidence[key],
                stations_observed=len(stations),
                clear_item=question.clear_item or "",
                concern_areas=sorted({areas[station] for station in concerns if station in areas}),
            )
        )
    phase_order = {value: index for index, value in enumerate(Phase.values)}
    findings.sort(
        key=lambda f: (phase_order.get(f.phase, 99), f.checklist, f.section_position, f.position)
    )
    return {
        "questions": findings,
        "stations_with_concern_by_severity": {s: len(by_severity[s]) for s in Severity.values},
        "concern_evidence_by_severity": severity_evidence,
        "concern_stations": by_severity,
    }


def _question_texts(question: Question) -> dict[str, dict[str, str]]:
    """The question's texts in every language, as a statement in that language reads them."""
    return {
        language: {field: localized(question, field, language) for field in TRANSLATED_TEXTS}
        for language in languages()
    }


def _lists(rows: Iterable[tuple[int, str]]) -> dict[int, list]:
    """JSON lists of many visits (id, JSON text), parsed in one go."""
    rows = list(rows)
    if not rows:
        return {}
    parsed = json.loads("[" + ",".join(text for _pk, text in rows) + "]")
    return {pk: value for (pk, _text), value in zip(rows, parsed, strict=True)}


def _incidents(mission: Mission, station_of: dict[int, int]) -> dict:
    index = [
        row
        for row in Incident.objects.filter(visit__mission=mission)
        .order_by("id")
        .values_list("id", "visit_id", "category", "severity", "complaint_filed")
        if row[1] in station_of
    ]
    grouped: dict[tuple[str, str], list] = defaultdict(list)
    incident_evidence, complaint_evidence = Evidence(), Evidence()
    for row in index:
        incident_id, visit_id, category, severity, complaint = row
        grouped[(category, severity)].append(row)
        incident_evidence.incident_ids.append(incident_id)
        incident_evidence.visit_ids.append(visit_id)
        if complaint:
            complaint_evidence.incident_ids.append(incident_id)
            complaint_evidence.visit_ids.append(visit_id)
    counts = [
        IncidentCount(
            category,
            severity,
            len(rows),
            len({station_of[row[1]] for row in rows}),
            sum(1 for row in rows if row[4]),
        )
        for (category, severity), rows in sorted(grouped.items())
    ]
    return {
        "incidents": counts,
        "incident_evidence": incident_evidence,
        "complaints": len(complaint_evidence.incident_ids),
        "complaint_evidence": complaint_evidence,
        "incident_index": index,
    }


def _turnout(mission: Mission, rows, checklists) -> dict:
    official = getattr(mission, "election", None) and mission.election.official_turnout
    # Closing visits see the day's final count; earlier visits only the count so far. A
    # station visited twice counts once, with its latest count.
    # A later visit to a station replaces an earlier one: the later arrival, or of two
    # arriving at the same moment, the later filed.
    for phase in (Phase.CLOSING, Phase.VOTING):
        of_phase = {pk for pk, (_code, of) in checklists.items() if of == phase}
        counts = [
            row for row in rows if row[2] in of_phase and row[4] is not None and row[5] is not None
        ]
        if not counts:
            continue
        # In the order of arrival, so that the last row of each station is its latest: the
        # rows come in the order of their ids and the sort keeps it, so of two arriving at the
        # same moment the later filed comes last.
        counts.sort(key=itemgetter(6))
        chosen = dict(zip(map(itemgetter(1), counts), counts, strict=True)).values()
        return {
            "turnout": Turnout(
                phase,
                len(chosen),
                sum(map(itemgetter(4), chosen)),
                sum(map(itemgetter(5), chosen)),
                official,
            ),
            "turnout_evidence": Evidence(visit_ids=sorted(map(itemgetter(0), chosen))),
        }
    return {"turnout": Turnout(None, 0, 0, 0, official), "turnout_evidence": Evidence()}
