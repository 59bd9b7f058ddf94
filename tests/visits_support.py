"""Building blocks for tests of filed visits: a small checklist and form data posted back."""

import datetime
import io
import re

from django.utils import timezone
from PIL import Image

from reports.models import Checklist, Question, Section
from stations.models import PollingStation
from tests.factories import PollingStationFactory


def make_checklist(mission, *, code="voting", phase="voting", version=1) -> Checklist:
    checklist = Checklist.objects.create(
        mission=mission, code=code, version=version, title="Voting", phase=phase
    )
    station = Section.objects.create(checklist=checklist, position=0, title="Polling station")
    process = Section.objects.create(checklist=checklist, position=1, title="Voting process")
    questions = [
        (
            station,
            "info_materials",
            "Were information materials on display?",
            "yes_no",
            {"concern_answers": ["no"], "severity": "minor"},
        ),
        (
            station,
            "evacuation_plan",
            "Was an evacuation plan on display?",
            "yes_no",
            {"concern_answers": ["no"], "severity": "minor"},
        ),
        (
            process,
            "box_sealed",
            "Was the ballot box sealed?",
            "yes_no",
            {"concern_answers": ["no"], "severity": "critical"},
        ),
        (
            process,
            "atmosphere",
            "Atmosphere",
            "single",
            {
                "choices": [["calm", "Calm"], ["tense", "Tense"]],
                "concern_answers": ["tense"],
                "severity": "serious",
            },
        ),
        (
            process,
            "problems",
            "Problems seen",
            "multiple",
            {
                "choices": [["queue", "Long queue"], ["secrecy", "Secrecy"]],
                "required": False,
                "concern_answers": ["secrecy"],
                "severity": "serious",
            },
        ),
        (
            process,
            "waiting",
            "Voters waiting",
            "number",
            {"min_value": 0, "max_value": 5000, "concern_above": 50, "required": False},
        ),
        (process, "opened_at", "Opening time", "time", {"required": False}),
        (process, "remarks", "Remarks", "text", {"required": False}),
    ]
    for position, (section, qcode, text, kind, extra) in enumerate(questions):
        Question.objects.create(
            checklist=checklist,
            section=section,
            position=position,
            code=qcode,
            text=text,
            kind=kind,
            **extra,
        )
    return checklist


def election_day(mission, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(mission.ends_on, datetime.time(hour, minute))
    )


def station_of(mission, number="83") -> PollingStation:
    return PollingStationFactory(election=mission.election, number=number)


def form_fields(html: str) -> dict[str, str]:
    """The values a browser would post back from the page's form (inputs and checked boxes)."""
    data: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        kind = kind.group(1) if kind else "text"
        value = re.search(r'value="([^"]*)"', tag)
        if kind in ("radio", "checkbox") and "checked" not in tag:
            continue
        if kind == "file" or kind == "submit":
            continue
        data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = body.strip()
    return data


def answers(**overrides) -> dict[str, str]:
    values = {
        "q_info_materials": "yes",
        "q_evacuation_plan": "yes",
        "q_box_sealed": "yes",
        "q_atmosphere": "calm",
        "q_waiting": "3",
        "q_opened_at": "08:00",
        "q_remarks": "",
    }
    values.update(overrides)
    return values


def photo_jpeg(*, size=(16, 12), gps: bool = True) -> bytes:
    """A real JPEG photo; with `gps`, its EXIF says where it was taken, as a phone's does."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (51.0, 10.0, 0.0), 3: "E", 4: (71.0, 26.0, 0.0)}  # GPSInfo
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    return output.getvalue()


def review_all(mission) -> None:
    """Mark every visit of the mission reviewed: only reviewed visits count in statements."""
    from reports.models import Visit

    Visit.objects.filter(mission=mission).update(review=Visit.Review.REVIEWED)
