"""What a mission's statements print about the mission and its election, in each language.

Registering a model here adds a column per language (`name_en`, `name_ru`, `name_zh_hans`);
the plain attribute reads the active language, falling back to English (see
docs/languages.md).
"""

from modeltranslation.translator import TranslationOptions, register

from missions.models import (
    Candidate,
    Election,
    Mission,
    MissionActivity,
    Office,
    Party,
    PartyCandidate,
    ReferendumOption,
    ReferendumQuestion,
)


class _Options(TranslationOptions):
    # English is the language every record is first written in.
    required_languages = ("en",)


@register(Mission)
class MissionTranslation(_Options):
    fields = ("organisation", "organisation_acronym", "name", "inviting_body")


@register(Election)
class ElectionTranslation(_Options):
    fields = ("country", "commission")


@register(Candidate)
class CandidateTranslation(_Options):
    fields = ("full_name", "nominated_by", "description")


@register(MissionActivity)
class MissionActivityTranslation(_Options):
    fields = ("description",)


# The ballots of parliamentary elections, referendums and local elections (section 6 and the
# briefing print them).
@register(Party)
class PartyTranslation(_Options):
    fields = ("name", "description")


@register(PartyCandidate)
class PartyCandidateTranslation(_Options):
    fields = ("full_name", "description")


@register(ReferendumQuestion)
class ReferendumQuestionTranslation(_Options):
    fields = ("text",)


@register(ReferendumOption)
class ReferendumOptionTranslation(_Options):
    fields = ("text",)


@register(Office)
class OfficeTranslation(_Options):
    fields = ("name",)
