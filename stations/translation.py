"""Areas and polling stations in each language (docs/languages.md).

An area's `path` stays in English: imports and bundles find areas by it.
"""

from modeltranslation.translator import TranslationOptions, register

from stations.models import Area, PollingStation


@register(Area)
class AreaTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("en",)
    # A name is unique within its mission or parent in every language: a translation not
    # yet written is stored as NULL, so two of them never clash.
    empty_values = None


@register(PollingStation)
class PollingStationTranslation(TranslationOptions):
    fields = ("name", "address")
    required_languages = ("en",)
