import io
import threading
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse
from PIL import Image

from observers.models import Participation
from reports.models import Answer, Attachment, Visit, VisitRevision
from reports.services import VisitData, visit_mark_reviewed, visit_send_back, visit_submit
from tests.factories import ParticipationFactory, PollingStationFactory
from tests.visits_support import (
    answers,
    election_day,
    form_fields,
    make_checklist,
    photo_jpeg,
    station_of,
)

JPEG = photo_jpeg()
PDF = b"%PDF-1.4\n" + b"0" * 200


@pytest.fixture
def field(personas):
    """Mission A with a checklist and a station, and the observer's browser logged in."""
    mission = personas.mission_a
    mission.time_zone = "Asia/Almaty"
    mission.save()
    return {
        "mission": mission,
        "checklist": make_checklist(mission),
        "station": station_of(mission, "83"),
    }


def new_visit_url(field) -> str:
    return reverse("reports:visit_new", args=[field["mission"].slug])


def shown_form(client, field) -> dict[str, str]:
    response = client.get(
        new_visit_url(field) + f"?checklist={field['checklist'].pk}&station={field['station'].pk}"
    )
    assert response.status_code == 200
    return form_fields(response.text)


def filled_form(client, field, **overrides) -> dict[str, str]:
    data = shown_form(client, field)
    data.update(answers())
    data.update(
        {
            "arrived_at": "2022-11-20T10:00",
            "departed_at": "2022-11-20T10:40",
            "voters_on_list": "1800",
            "ballots_issued": "640",
        }
    )
    data.update(overrides)
    return data


@pytest.fixture
def observer_client(client, personas):
    client.force_login(personas.observer)
    return client


def test_an_observer_files_a_visit_from_the_form_the_page_shows(observer_client, field, personas):
    data = filled_form(observer_client, field, q_box_sealed="no", q_atmosphere="tense")

    response = observer_client.post(new_visit_url(field), data)

    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "reports:visit_detail", args=[field["mission"].slug, visit.pk]
    )
    assert visit.station == field["station"]
    assert visit.filed_by == personas.observer_participation
    assert visit.voters_on_list == 1800 and visit.ballots_issued == 640
    # 10:00 in Astana on 20 November 2022 was 04:00 UTC (UTC+6 then).
    assert visit.arrived_at.isoformat() == "2022-11-20T04:00:00+00:00"
    stored = {a.question.code: (a.value, a.is_concern) for a in visit.answers.all()}
    assert stored["box_sealed"] == ("no", True)
    assert stored["atmosphere"] == ("tense", True)
    assert stored["info_materials"] == ("yes", False)
    assert stored["waiting"] == (3, False)
    assert stored["opened_at"] == ("08:00", False)
    assert visit.has_concerns
    assert list(visit.observers.all()) == [personas.observer_participation]
    page = observer_client.get(response["Location"]).text
    assert "Visit filed" in page
    assert "Was the ballot box sealed?" in page


def test_it_answers_a_second_submission_with_the_same_key_with_the_first_visit(
    observer_client, field
):
    data = filled_form(observer_client, field)

    first = observer_client.post(new_visit_url(field), data)
    second = observer_client.post(new_visit_url(field), data)

    assert Visit.objects.count() == 1
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    page = observer_client.get(second["Location"]).text
    assert "already filed; nothing was duplicated" in page


def test_a_late_retry_gets_its_own_visit_though_a_second_one_was_filed_since(
    observer_client, field
):
    first_form = filled_form(observer_client, field)
    first = observer_client.post(new_visit_url(field), first_form)
    # A second visit to the same station, filed deliberately from a fresh form.
    second_form = filled_form(observer_client, field, arrived_at="2022-11-20T10:10")
    observer_client.post(new_visit_url(field), {**second_form, "confirm_duplicate": "on"})

    retry = observer_client.post(new_visit_url(field), first_form)

    assert Visit.objects.count() == 2
    assert retry["Location"] == first["Location"]
    page = observer_client.get(retry["Location"]).text
    assert "already filed; nothing was duplicated" in page


def test_two_tabs_of_one_form_create_one_visit_even_if_the_second_differs(observer_client, field):
    data = filled_form(observer_client, field)
    observer_client.post(new_visit_url(field), data)

    observer_client.post(new_visit_url(field), {**data, "q_box_sealed": "no"})

    visit = Visit.objects.get()
    assert visit.answers.get(question__code="box_sealed").value == "yes"


def test_each_showing_of_the_form_gets_its_own_key(observer_client, field):
    first = shown_form(observer_client, field)["key"]
    second = shown_form(observer_client, field)["key"]

    assert first != second
    uuid.UUID(first)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_submissions_racing_with_one_key_create_exactly_one_visit(personas):
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL's row locking")
    mission = personas.mission_a
    checklist = make_checklist(mission)
    station = station_of(mission)
    participation = personas.observer_participation
    key = uuid.uuid4()
    data = VisitData(
        station=station,
        checklist=checklist,
        arrived_at=election_day(mission, 10),
        answers={q.pk: "yes" for q in checklist.questions.filter(kind="yes_no")}
        | {checklist.questions.get(code="atmosphere").pk: "calm"},
    )
    barrier = threading.Barrier(4)
    results, errors = [], []

    def submit():
        try:
            barrier.wait()
            visit, created = visit_submit(
                participation=Participation.objects.get(pk=participation.pk),
                key=key,
                data=data,
                user=personas.observer,
            )
            results.append((visit.pk, created))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Visit.objects.filter(key=key).count() == 1
    assert sorted(created for _pk, created in results) == [False, False, False, True]
    assert len({pk for pk, _created in results}) == 1
    assert Answer.objects.filter(visit__key=key).count() == 4


def test_a_revoked_observer_cannot_file_and_is_told_why(observer_client, field, personas):
    data = filled_form(observer_client, field)
    Participation.objects.filter(pk=personas.observer_participation.pk).update(
        accreditation=Participation.Accreditation.REVOKED
    )

    response = observer_client.post(new_visit_url(field), data)

    assert response.status_code == 403
    assert "accreditation has been revoked" in response.text
    assert Visit.objects.count() == 0
    assert observer_client.get(new_visit_url(field)).status_code == 403


def test_an_observer_not_yet_accredited_cannot_file(client, field, personas):
    pending = ParticipationFactory(mission=field["mission"], user=personas.press_officer)
    assert pending.accreditation == Participation.Accreditation.REQUESTED
    client.force_login(personas.press_officer)

    response = client.get(new_visit_url(field))

    assert response.status_code == 403
    assert "not accredited yet" in response.text


@pytest.mark.parametrize(
    ("overrides", "field_name", "message"),
    [
        ({"departed_at": "2022-11-20T09:00"}, "departed_at", "Departure cannot be before arrival"),
        (
            {"arrived_at": "2022-12-01T10:00", "departed_at": ""},
            "arrived_at",
            "outside the mission",
        ),
        ({"station": "99999"}, "station", "no polling station No. 99999"),
        ({"q_box_sealed": ""}, "q_box_sealed", "This field is required"),
        ({"q_atmosphere": "festive"}, "q_atmosphere", "Select a valid choice"),
        ({"q_waiting": "7000"}, "q_waiting", "less than or equal to 5000"),
        ({"voters_on_list": "100"}, "ballots_issued", "More ballots issued than voters"),
        ({"incidents-0-description": "Campaign posters"}, "incidents-0-category", "Needed"),
    ],
)
def test_bad_input_comes_back_beside_its_field_with_everything_typed(
    observer_client, field, overrides, field_name, message
):
    data = filled_form(observer_client, field, notes="Long queue at 10:00", **overrides)

    response = observer_client.post(new_visit_url(field), data)

    assert response.status_code == 400
    assert Visit.objects.count() == 0
    page = response.text
    assert message in page
    # The error sits in the field's own block, and what the observer typed is still there.
    assert f'id="error_1_id_{field_name}"' in page or f"id_{field_name}" in page
    assert "Long queue at 10:00" in page
    assert form_fields(page)["key"] == data["key"]
    assert 'value="1800"' in page or overrides.get("voters_on_list") == "100"


def test_a_station_of_another_election_is_refused(observer_client, field, personas):
    other = PollingStationFactory(election=personas.mission_b.election, number="777")
    data = filled_form(observer_client, field, station=other.number)

    response = observer_client.post(new_visit_url(field), data)

    assert response.status_code == 400
    assert "no polling station No. 777 in this election" in response.text
    assert (
        observer_client.get(
            new_visit_url(field) + f"?checklist={field['checklist'].pk}&station={other.pk}"
        ).status_code
        == 404
    )


def test_a_photo_is_kept_under_a_name_the_server_chose(observer_client, field):
    data = filled_form(observer_client, field)
    data["attachments"] = [SimpleUploadedFile("../../etc/passwd.jpg", JPEG, "text/plain")]

    observer_client.post(new_visit_url(field), data)

    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/jpeg"
    assert attachment.original_name == "passwd.jpg"
    assert attachment.file.name.startswith(f"attachments/{field['mission'].pk}/")
    assert attachment.file.name.endswith(".jpg") and "passwd" not in attachment.file.name
    response = observer_client.get(
        reverse("reports:attachment", args=[field["mission"].slug, attachment.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    stored = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert stored.format == "JPEG" and stored.size == (16, 12)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 100, "image/jpeg"),
            "is not a photo (JPEG, PNG, WebP) or a PDF",
        ),
        (SimpleUploadedFile("big.pdf", PDF + b"0" * 2048, "application/pdf"), "the limit is"),
    ],
)
def test_an_attachment_of_the_wrong_kind_or_too_big_is_refused(
    observer_client, field, settings, upload, message
):
    settings.ATTACHMENT_MAX_BYTES = 2048
    data = filled_form(observer_client, field, notes="Keep me")
    data["attachments"] = [upload]

    response = observer_client.post(new_visit_url(field), data)

    assert response.status_code == 400
    assert message in response.text
    assert "Keep me" in response.text
    assert Visit.objects.count() == 0 and Attachment.objects.count() == 0


def _file(client, field, **overrides) -> Visit:
    client.post(new_visit_url(field), filled_form(client, field, **overrides))
    return Visit.objects.get()


def test_an_observer_corrects_their_visit_and_the_history_keeps_the_change(
    observer_client, field, personas
):
    visit = _file(observer_client, field)
    edit_url = reverse("reports:visit_edit", args=[field["mission"].slug, visit.pk])
    data = form_fields(observer_client.get(edit_url).text)
    assert data["q_box_sealed"] == "yes"
    assert data["voters_on_list"] == "1800"

    response = observer_client.post(edit_url, {**data, "q_box_sealed": "no", "notes": "Seal"})

    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.answers.get(question__code="box_sealed").value == "no"
    assert visit.has_concerns
    revision = visit.revisions.get(action=VisitRevision.Action.CORRECTED)
    assert revision.changed_by == personas.observer
    assert revision.changes["answers.box_sealed"] == ["yes", "no"]
    assert revision.changes["notes"] == ["", "Seal"]
    # The same moment in another time zone is no change.
    assert "arrived_at" not in revision.changes


def test_a_visit_sent_back_shows_the_comment_and_returns_to_review_once_corrected(
    observer_client, field, personas
):
    visit = _file(observer_client, field)
    visit_send_back(visit=visit, reviewer=personas.coordinator, comment="Check the seal answer")
    detail = reverse("reports:visit_detail", args=[field["mission"].slug, visit.pk])

    assert "Check the seal answer" in observer_client.get(detail).text
    assert (
        "Check the seal answer"
        in observer_client.get(reverse("reports:mission_home", args=[field["mission"].slug])).text
    )

    edit_url = reverse("reports:visit_edit", args=[field["mission"].slug, visit.pk])
    observer_client.post(edit_url, form_fields(observer_client.get(edit_url).text))
    visit.refresh_from_db()
    assert visit.review == Visit.Review.SUBMITTED


def test_a_reviewed_visit_can_no_longer_be_changed(observer_client, field, personas):
    visit = _file(observer_client, field)
    visit_mark_reviewed(visit=visit, reviewer=personas.coordinator)
    edit_url = reverse("reports:visit_edit", args=[field["mission"].slug, visit.pk])

    response = observer_client.post(edit_url, {"notes": "late change"})

    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.notes == ""
    page = observer_client.get(response["Location"]).text
    assert "can no longer be changed" in page
    assert "Correct this visit" not in page


def test_a_team_mate_sees_the_visit_but_cannot_change_it(client, field, personas):
    mate = ParticipationFactory(mission=field["mission"], accredited=True)
    mate.user = personas.press_officer
    mate.save()
    visit = visit_submit(
        participation=personas.observer_participation,
        key=uuid.uuid4(),
        data=VisitData(
            station=field["station"],
            checklist=field["checklist"],
            arrived_at=election_day(field["mission"], 9),
            observers=[mate],
        ),
        user=personas.observer,
    )[0]
    client.force_login(personas.press_officer)
    slug = field["mission"].slug

    assert client.get(reverse("reports:visit_detail", args=[slug, visit.pk])).status_code == 200
    assert client.get(reverse("reports:visit_edit", args=[slug, visit.pk])).status_code == 403

    # The observer who filed it corrects it: the team mate stays on the visit.
    edit_url = reverse("reports:visit_edit", args=[slug, visit.pk])
    client.force_login(personas.observer)
    client.post(edit_url, {**form_fields(client.get(edit_url).text), **answers()})
    assert set(visit.observers.all()) == {personas.observer_participation, mate}


def test_a_questions_texts_from_a_checklist_file_reach_the_form_escaped(observer_client, field):
    payload = "HELP <script>alert(1)</script><img src=x onerror=alert(2)>"
    question = field["checklist"].questions.get(code="info_materials")
    question.text = "Text <b onmouseover=alert(3)>bold</b>"
    question.help_text = payload
    question.save()

    page = observer_client.get(
        new_visit_url(field) + f"?checklist={field['checklist'].pk}&station={field['station'].pk}"
    ).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "<b onmouseover" not in page
    assert "HELP &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "Text &lt;b onmouseover=alert(3)&gt;bold&lt;/b&gt;" in page
