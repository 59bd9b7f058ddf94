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
"""

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import TextField
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
    counted_reviews = included_reviews(include_awaiting_review=include_awaiting_review)
    checklists = {
        pk: (code, phase)
        for pk, code, phase in Checklist.objects.filter(mission=mission).values_list(
            "id", "code", "phase"
        )
    }
    # In the order the visits happened (the turnout takes each station's latest count), with
    # no timestamps to read: ordering by them in the database is enough.
    rows = list(
        Visit.objects.filter(mission=mission)
        .order_by("arrived_at", "id")
        .values_list(
            "id", "station_id", "checklist_id", "review", "voters_on_list", "ballots_issued"
        )
    )
    awaiting = sum(1 for row in rows if row[3] == Visit.Review.SUBMITTED)
    sent_back = sum(1 for row in rows if row[3] == Visit.Review.RETURNED)
    full_rows = [row for row in rows if row[3] in counted_reviews]
    used = [row[:4] for row in full_rows]
    station_of = {visit: station for visit, station, _c, _r in used}
    visit_index = [
        (visit, station, checklists[checklist][1], checklists[checklist][0])
        for visit, station, checklist, _review in used
    ]

    phase_order = {value: index for index, value in enumerate(Phase.values)}
    by_phase: dict[str, tuple[list[int], set[int]]] = {}
    for visit, station, phase, _code in visit_index:
        visits_of, stations_of = by_phase.setdefault(phase, ([], set()))
        visits_of.append(visit)
        stations_of.add(station)
    phases = [
        PhaseCount(phase, len(visits_of), len(stations_of))
        for phase, (visits_of, stations_of) in sorted(
            by_phase.items(), key=lambda item: phase_order.get(item[0], 99)
        )
    ]
    election_day_ids = [v for v, _s, p, _c in visit_index if p in ELECTION_DAY_PHASES]
    election_day_stations = {s for _v, s, p, _c in visit_index if p in ELECTION_DAY_PHASES}

    answers = _answers(mission, used, station_of, counted_reviews)
    concern_stations = answers.pop("concern_stations")
    incidents = _incidents(mission, station_of)
    grave = _gravity(
        (Severity.SERIOUS, Severity.CRITICAL), answers, concern_stations, incidents, station_of
    )
    minor = _gravity((Severity.MINOR,), answers, concern_stations, incidents, station_of)
    return Findings(
        mission_id=mission.pk,
        visits=len(used),
        stations=len(set(station_of.values())),
        evidence=Evidence(visit_ids=[visit for visit, *_rest in used]),
        phases=phases,
        election_day_stations=len(election_day_stations),
        election_day_evidence=Evidence(visit_ids=election_day_ids),
        coverage=_coverage(mission, election_day_stations),
        **answers,
        **incidents,
        **_turnout(mission, full_rows, checklists),
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


def _coverage(mission: Mission, stations: set[int]) -> list[AreaCoverage]:
    area_of = dict(
        PollingStation.objects.filter(
            pk__in=Visit.objects.filter(mission=mission).values("station_id")
        ).values_list("id", "area_id")
    )
    stations_by_area: dict[int, int] = defaultdict(int)
    for station in stations:
        area = area_of.get(station)
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


def _answers(mission: Mission, used, station_of: dict[int, int], counted_reviews) -> dict:
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
    unobserved = _lists(Visit.objects.filter(mission=mission).exclude(unobserved=[]), "unobserved")
    observed: dict[tuple[str, str], set[int]] = defaultdict(set)
    plain_pairs = set()
    for visit, station, checklist, _review in used:
        skipped = unobserved.get(visit)
        if not skipped:
            plain_pairs.add((station, checklist))
            continue
        skipped = set(skipped)
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
    concerns = _lists(
        Visit.objects.filter(mission=mission, review__in=counted_reviews).exclude(concerns=[]),
        "concerns",
    )
    # Grouped by question first, so each concern answer costs one append; the rest is done
    # a question at a time.
    by_question: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for visit in sorted(concerns):
        station = station_of[visit]
        for question, answer in concerns[visit]:
            by_question[question].append((visit, answer, station))
    for question, items in by_question.items():
        key, severity = key_of[question], severity_of[question]
        stations = {station for _v, _a, station in items}
        answer_ids = [answer for _v, answer, _s in items]
        visit_ids = [visit for visit, _a, _s in items]
        concern_stations[key] |= stations
        evidence[key].answer_ids += answer_ids
        evidence[key].visit_ids += visit_ids
        by_severity[severity] |= stations
        severity_evidence[severity].answer_ids += answer_ids
        severity_evidence[severity].visit_ids += visit_ids

    # Where the concerns are, for the sentences that say so: (parent area, area) names of the
    # stations with a concern, in one query.
    areas = {
        station: (parent or "", area)
        for station, area, parent in PollingStation.objects.filter(
            pk__in=set().union(*concern_stations.values())
        ).values_list("pk", "area__name", "area__parent__name")
        if area
    }
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


def _lists(visits, name: str) -> dict[int, list]:
    """A JSON list field of many visits by visit id, read as text and parsed in one go."""
    rows = list(visits.annotate(text=Cast(name, TextField())).values_list("id", "text"))
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
    # The rows come in the order of arrival: a later visit to a station replaces an earlier.
    latest: dict[str, dict[int, tuple]] = {Phase.CLOSING: {}, Phase.VOTING: {}}
    for visit, station, checklist, _review, voters, ballots in rows:
        if voters is None or ballots is None:
            continue
        of_phase = latest.get(checklists[checklist][1])
        if of_phase is not None:
            of_phase[station] = (None, visit, voters, ballots)
    for phase in (Phase.CLOSING, Phase.VOTING):
        chosen = latest[phase].values()
        if chosen:
            return {
                "turnout": Turnout(
                    phase,
                    len(chosen),
                    sum(row[2] for row in chosen),
                    sum(row[3] for row in chosen),
                    official,
                ),
                "turnout_evidence": Evidence(visit_ids=sorted(row[1] for row in chosen)),
            }
    return {"turnout": Turnout(None, 0, 0, 0, official), "turnout_evidence": Evidence()}
