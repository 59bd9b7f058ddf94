"""Coordinators record what the ballot puts to voters in the admin: parties and their lists,
referendum questions and their options, offices; only for their own missions."""

import pytest
from django.urls import reverse

from missions.models import Office, Party, PartyCandidate, ReferendumOption, ReferendumQuestion


def admin_url(model, page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def make_parties(election, count: int) -> None:
    for n in range(count):
        party = Party.objects.create(
            election=election, ballot_position=n + 1, name=f"{election.country} party {n + 1}"
        )
        PartyCandidate.objects.create(party=party, list_position=1, full_name=f"Leader {n + 1}")


def test_the_election_page_shows_its_parties_questions_and_offices(coordinator_client, personas):
    election = personas.mission_a.election
    make_parties(election, 1)
    question = ReferendumQuestion.objects.create(election=election, position=1, text="Approve?")
    Office.objects.create(election=election, position=1, name="the City Council", seats=45)

    page = coordinator_client.get(admin_url(type(election), "change", election.pk))

    text = page.content.decode()
    assert f"{election.country} party 1" in text
    assert "Approve?" in text
    assert "the City Council" in text
    # Each party's list and each question's options have their own page, linked from here.
    assert admin_url(ReferendumQuestion, "change", question.pk) in text


def test_a_coordinator_adds_an_option_to_a_question(coordinator_client, personas):
    question = ReferendumQuestion.objects.create(
        election=personas.mission_a.election, position=1, text="Approve?"
    )
    url = admin_url(ReferendumQuestion, "change", question.pk)

    coordinator_client.post(
        url,
        {
            "election": personas.mission_a.election.pk,
            "position": 1,
            "text_en": "Approve?",
            "options-TOTAL_FORMS": 2,
            "options-INITIAL_FORMS": 0,
            "options-0-position": 1,
            "options-0-text_en": "Yes",
            "options-1-position": 2,
            "options-1-text_en": "No",
        },
    )

    assert list(question.options.values_list("text", flat=True)) == ["Yes", "No"]


def test_another_missions_party_is_not_found_and_stays_unchanged(outsider_client, personas):
    make_parties(personas.mission_a.election, 1)
    party = Party.objects.get()

    page = outsider_client.get(admin_url(Party, "change", party.pk), follow=True)
    outsider_client.post(
        admin_url(Party, "change", party.pk),
        {"ballot_position": 1, "name_en": "Renamed", "candidates-TOTAL_FORMS": 0},
    )
    listing = outsider_client.get(admin_url(Party, "changelist"))

    assert "doesn’t exist" in page.content.decode()
    assert Party.objects.get().name == party.name
    assert party.name not in listing.content.decode()


def test_a_duplicate_place_on_a_list_is_refused_with_a_message(coordinator_client, personas):
    make_parties(personas.mission_a.election, 1)
    party = Party.objects.get()

    page = coordinator_client.post(
        admin_url(Party, "change", party.pk),
        {
            "election": personas.mission_a.election.pk,
            "ballot_position": 1,
            "name_en": party.name,
            "description_en": "",
            "candidates-TOTAL_FORMS": 2,
            "candidates-INITIAL_FORMS": 1,
            "candidates-0-id": party.candidates.get().pk,
            "candidates-0-party": party.pk,
            "candidates-0-list_position": 1,
            "candidates-0-full_name_en": "Leader 1",
            "candidates-1-party": party.pk,
            "candidates-1-list_position": 1,
            "candidates-1-full_name_en": "Second on the list",
        },
    )

    assert "Please correct the duplicate data for list_position" in page.content.decode()
    assert "Second on the list" in page.content.decode()
    assert party.candidates.count() == 1


# A coordinator's changelist GET: session, user, the user's and the group's permissions; then
# the count, the full count and the page (its election joined). A superuser skips the two
# permission queries.
@pytest.mark.parametrize("rows", [2, 20])
@pytest.mark.parametrize(("model", "expected"), [(Party, 4 + 3), (ReferendumQuestion, 4 + 3)])
def test_ballot_changelists_take_the_same_queries_however_many_rows(
    coordinator_client, personas, django_assert_num_queries, rows, model, expected
):
    election = personas.mission_a.election
    if model is Party:
        make_parties(election, rows)
    else:
        for n in range(rows):
            question = ReferendumQuestion.objects.create(
                election=election, position=n + 1, text=f"Question {n + 1}?"
            )
            ReferendumOption.objects.create(question=question, position=1, text="Yes")

    with django_assert_num_queries(expected):
        response = coordinator_client.get(admin_url(model, "changelist"))

    assert response.context["cl"].result_count == rows
