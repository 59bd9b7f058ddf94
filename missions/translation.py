"""What a mission's statements print about the mission and its election, in each language.

Registering a model here adds a column per language (`name_en`, `name_ru`, `name_zh_hans`);
the plain attribute reads the active language, falling back to English (see
docs/languages.md).
"""

from modeltranslation.translator import TranslationOptions, register

from missions.models import Candidate, Election, Mission, MissionActivity


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
