"""The mission's findings: what its visits show, computed with aggregate queries.

Every finding carries its evidence as references (visit, answer and incident ids) so a
statement sentence built from it can show the visits behind it. The number of queries does
not depend on the number of visits.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery, Sum

from missions.content_languages import languages
from missions.models import Mission, Phase
from reports.models import Answer, Incident, Question, Severity, Visit, localized
from stations.models import Area

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
    stations_answered: int
    stations_with_concern: int
    evidence: Evidence
    # The short phrase a statement lists among what every clear station had.
    clear_item: str = ""
    # Distinct stations where the question got an answer (a value, not left unobserved).
    observed: int = 0
    # Where the stations with a concern are: (parent area, area) names, parent first.
    concern_areas: list[tuple[str, str]] = field(default_factory=list)

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


def findings_compute(*, mission: Mission) -> Findings:
    """Compute the mission's findings from its visits."""
    visits = Visit.objects.filter(mission=mission)
    totals = visits.aggregate(visits=Count("id"), stations=Count("station", distinct=True))

    phases = [
        PhaseCount(row["checklist__phase"], row["visits"], row["stations"])
        for row in visits.values("checklist__phase")
        .annotate(visits=Count("id"), stations=Count("station", distinct=True))
        .order_by("checklist__phase")
    ]
    phase_order = {value: index for index, value in enumerate(Phase.values)}
    phases.sort(key=lambda p: phase_order.get(p.phase, 99))

    election_day = visits.filter(checklist__phase__in=ELECTION_DAY_PHASES)
    election_day_ids = list(election_day.values_list("id", flat=True))
    return Findings(
        mission_id=mission.pk,
        visits=totals["visits"],
        stations=totals["stations"],
        evidence=Evidence(visit_ids=list(visits.values_list("id", flat=True))),
        phases=phases,
        election_day_stations=election_day.aggregate(n=Count("station", distinct=True))["n"],
        election_day_evidence=Evidence(visit_ids=election_day_ids),
        coverage=_coverage(election_day),
        questions=_questions(mission, visits),
        **_incidents(visits),
        **_concerns_by_severity(visits),
        **_turnout(mission, visits),
        visit_index=list(
            visits.values_list("id", "station_id", "checklist__phase", "checklist__code")
        ),
    )


def _coverage(visits) -> list[AreaCoverage]:
    rows = (
        visits.values("station__area_id")
        .annotate(stations=Count("station", distinct=True))
        .order_by()
    )
    stations_by_area = {row["station__area_id"]: row["stations"] for row in rows}
    areas = Area.objects.filter(pk__in=[pk for pk in stations_by_area if pk]).select_related(
        "parent"
    )
    grouped: dict[int | None, AreaCoverage] = {}
    for area in sorted(areas, key=lambda a: a.path):
        parent = area.parent or area
        cover = grouped.setdefault(parent.pk, AreaCoverage(parent.name, parent.kind, [], 0))
        if area.parent is not None:
            cover.districts.append(area.name)
        cover.stations += stations_by_area[area.pk]
    return sorted(grouped.values(), key=lambda c: (-c.stations, c.parent))


def _questions(mission: Mission, visits) -> list[QuestionFinding]:
    # A question is known by its checklist's code and its own: "voting/info_materials" and
    # "pre_election/info_materials" are different checks. Versions of a checklist share both.
    answers = Answer.objects.filter(visit__in=visits)
    key = ("question__checklist__code", "question__code")
    counts = {
        (row[key[0]], row[key[1]]): row
        for row in answers.values(*key)
        .annotate(
            stations=Count("visit__station", distinct=True),
            concern_stations=Count("visit__station", distinct=True, filter=Q(is_concern=True)),
            observed=Count("visit__station", distinct=True, filter=Q(value__isnull=False)),
        )
        .order_by()
    }
    evidence: dict[tuple[str, str], Evidence] = defaultdict(Evidence)
    # Where the concerns are, read with their evidence: (parent area, area) names.
    areas: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for checklist_code, code, answer_id, visit_id, area, parent in answers.filter(
        is_concern=True
    ).values_list(
        *key, "id", "visit_id", "visit__station__area__name", "visit__station__area__parent__name"
    ):
        evidence[(checklist_code, code)].answer_ids.append(answer_id)
        evidence[(checklist_code, code)].visit_ids.append(visit_id)
        if area:
            areas[(checklist_code, code)].add((parent or "", area))

    # The newest version's wording of each question stands for all versions.
    questions: dict[tuple[str, str], Question] = {}
    for question in (
        Question.objects.filter(checklist__mission=mission)
        .select_related("checklist", "section")
        .order_by("checklist__code", "code", "-checklist__version")
    ):
        if (question.checklist.code, question.code) in counts:
            questions.setdefault((question.checklist.code, question.code), question)

    findings = []
    for (checklist_code, code), question in questions.items():
        row = counts[(checklist_code, code)]
        findings.append(
            QuestionFinding(
                code=code,
                checklist=checklist_code,
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
                stations_answered=row["stations"],
                stations_with_concern=row["concern_stations"],
                evidence=evidence[(checklist_code, code)],
                clear_item=question.clear_item,
                observed=row["observed"],
                concern_areas=sorted(areas[(checklist_code, code)]),
            )
        )
    phase_order = {value: index for index, value in enumerate(Phase.values)}
    findings.sort(
        key=lambda f: (phase_order.get(f.phase, 99), f.checklist, f.section_position, f.position)
    )
    return findings


def _question_texts(question: Question) -> dict[str, dict[str, str]]:
    """The question's texts in every language, as a statement in that language reads them."""
    return {
        language: {field: localized(question, field, language) for field in TRANSLATED_TEXTS}
        for language in languages()
    }


def _incidents(visits) -> dict:
    incidents = Incident.objects.filter(visit__in=visits)
    counts = [
        IncidentCount(
            row["category"],
            row["severity"],
            row["incidents"],
            row["stations"],
            row["complaints"],
        )
        for row in incidents.values("category", "severity")
        .annotate(
            incidents=Count("id"),
            stations=Count("visit__station", distinct=True),
            complaints=Count("id", filter=Q(complaint_filed=True)),
        )
        .order_by("category", "severity")
    ]
    incident_evidence, complaint_evidence = Evidence(), Evidence()
    index = list(incidents.values_list("id", "visit_id", "category", "severity", "complaint_filed"))
    for incident_id, visit_id, _category, _severity, complaint in index:
        incident_evidence.incident_ids.append(incident_id)
        incident_evidence.visit_ids.append(visit_id)
        if complaint:
            complaint_evidence.incident_ids.append(incident_id)
            complaint_evidence.visit_ids.append(visit_id)
    return {
        "incidents": counts,
        "incident_evidence": incident_evidence,
        "complaints": len(complaint_evidence.incident_ids),
        "complaint_evidence": complaint_evidence,
        "incident_index": index,
    }


def _concerns_by_severity(visits) -> dict:
    concern_answers = Answer.objects.filter(visit__in=visits, is_concern=True)
    by_severity = {
        row["question__severity"]: row["stations"]
        for row in concern_answers.values("question__severity")
        .annotate(stations=Count("visit__station", distinct=True))
        .order_by()
    }
    evidence: dict[str, Evidence] = {severity: Evidence() for severity in Severity.values}
    for severity, answer_id, visit_id in concern_answers.values_list(
        "question__severity", "id", "visit_id"
    ):
        evidence[severity].answer_ids.append(answer_id)
        evidence[severity].visit_ids.append(visit_id)
    return {
        "stations_with_concern_by_severity": {s: by_severity.get(s, 0) for s in Severity.values},
        "concern_evidence_by_severity": evidence,
    }


def _turnout(mission: Mission, visits) -> dict:
    official = getattr(mission, "election", None) and mission.election.official_turnout
    counted = visits.filter(voters_on_list__isnull=False, ballots_issued__isnull=False)
    # Closing visits see the day's final count; earlier visits only the count so far. A
    # station visited twice counts once, with its latest count.
    for phase in (Phase.CLOSING, Phase.VOTING):
        latest = (
            counted.filter(checklist__phase=phase, station=OuterRef("station"))
            .order_by("-arrived_at", "-pk")
            .values("pk")[:1]
        )
        row = counted.filter(checklist__phase=phase, pk=Subquery(latest)).aggregate(
            stations=Count("station", distinct=True),
            voters=Sum("voters_on_list"),
            ballots=Sum("ballots_issued"),
        )
        if row["stations"]:
            ids = counted.filter(checklist__phase=phase, pk=Subquery(latest)).values_list(
                "id", flat=True
            )
            return {
                "turnout": Turnout(phase, row["stations"], row["voters"], row["ballots"], official),
                "turnout_evidence": Evidence(visit_ids=list(ids)),
            }
    return {"turnout": Turnout(None, 0, 0, 0, official), "turnout_evidence": Evidence()}
