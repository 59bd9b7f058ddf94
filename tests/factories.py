import datetime

import factory
from django.contrib.auth import get_user_model

from missions.models import Candidate, Election, Mission, MissionActivity, MissionMembership
from observers.models import Delegation, Observer, Participation
from stations.models import PATH_SEPARATOR, Area, PollingStation


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class MissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mission
        skip_postgeneration_save = True

    organisation = "Shanghai Cooperation Organisation"
    organisation_acronym = "SCO"
    name = factory.Sequence(lambda n: f"Observer Mission {n}")
    slug = factory.Sequence(lambda n: f"mission-{n}")
    starts_on = datetime.date(2022, 11, 17)
    ends_on = datetime.date(2022, 11, 20)
    inviting_body = "Ministry of Foreign Affairs"
    formed_on = datetime.date(2022, 9, 27)
    election = factory.RelatedFactory("tests.factories.ElectionFactory", "mission")


class ElectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Election

    mission = factory.SubFactory(MissionFactory, election=None)
    country = "Republic of Kazakhstan"
    kind = Election.Kind.PRESIDENTIAL
    is_early = True
    election_day = datetime.date(2022, 11, 20)
    commission = "Central Election Commission of the Republic of Kazakhstan"


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidate

    election = factory.SubFactory(ElectionFactory)
    ballot_position = factory.Sequence(lambda n: n + 1)
    full_name = factory.Sequence(lambda n: f"Candidate {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MissionMembership

    mission = factory.SubFactory(MissionFactory)
    user = factory.SubFactory(UserFactory)
    role = MissionMembership.Role.COORDINATOR


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MissionActivity

    mission = factory.SubFactory(MissionFactory)
    date = datetime.date(2022, 11, 19)
    kind = MissionActivity.Kind.MEETING
    description = "Meeting with the Central Election Commission"


class ObserverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Observer

    full_name = factory.Sequence(lambda n: f"Observer {n}")
    position = "Member of the Central Election Commission"
    country = "Kyrgyz Republic"


class DelegationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delegation

    mission = factory.SubFactory(MissionFactory)
    name = factory.Sequence(lambda n: f"Delegation {n}")
    kind = Delegation.Kind.MEMBER_STATE


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    mission = factory.SubFactory(MissionFactory)
    observer = factory.SubFactory(ObserverFactory)
    delegation = factory.SubFactory(DelegationFactory, mission=factory.SelfAttribute("..mission"))
    role = Participation.Role.OBSERVER

    class Params:
        accredited = factory.Trait(
            accreditation=Participation.Accreditation.ACCREDITED,
            accreditation_number=factory.Sequence(lambda n: f"A-{n:04d}"),
            accredited_on=datetime.date(2022, 11, 15),
            accredited_by="Central Election Commission",
        )


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    election = factory.SubFactory(ElectionFactory)
    parent = None
    kind = Area.Kind.CITY
    name = factory.Sequence(lambda n: f"Area {n}")
    path = factory.LazyAttribute(
        lambda area: f"{area.parent.path}{PATH_SEPARATOR}{area.name}" if area.parent else area.name
    )


class PollingStationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PollingStation

    election = factory.SubFactory(ElectionFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    name = factory.LazyAttribute(lambda station: f"School No. {station.number}")
    address = factory.Sequence(lambda n: f"{n + 1} Kabanbay Batyr Avenue")
    area = factory.SubFactory(AreaFactory, election=factory.SelfAttribute("..election"))
