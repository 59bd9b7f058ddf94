"""How a statement writes a period of days, saying once what both days share: “from 17 November
to 20 November 2022”, “с 17 по 20 ноября 2022 года”, “2022年11月17日至20日”.

Each language gives, in Django's date format, how it writes the first and the last day when
they share the month, when they share only the year, and when they do not; Russian and
English write the year after the last day, Chinese before the first.
"""

import datetime

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def period(first: datetime.date, last: datetime.date) -> str:
    if first == last:
        # Translators: a period of a single day, as in “carried out its task on 20 November
        # 2022”; the day is written by “statement date format”.
        return pgettext("a period of one day", "on %(day)s") % {
            "day": formats.date_format(last, pgettext("statement date format", "j E Y"))
        }
    if (first.year, first.month) == (last.year, last.month):
        # Translators: the two days of a period in one month, in Django's date format: j the
        # day, E the month's name as a date says it, n the month's number, Y the year.
        # English: “from 17 November to 20 November 2022”; Russian: “с 17 по 20 ноября 2022
        # года”; Chinese: “2022年11月17日至20日”.
        start = pgettext("first day of a period within one month", "j E")
        end = pgettext("last day of a period within one month", "j E Y")
    elif first.year == last.year:
        # Translators: the two days of a period in one year but two months, as above:
        # “с 28 октября по 3 ноября 2022 года”, “2022年10月28日至11月3日”.
        start = pgettext("first day of a period within one year", "j E")
        end = pgettext("last day of a period within one year", "j E Y")
    else:
        # Translators: the two days of a period across two years, each with its year.
        start = pgettext("first day of a period across years", "j E Y")
        end = pgettext("last day of a period across years", "j E Y")
    return _("from %(first)s to %(last)s") % {
        "first": formats.date_format(first, start),
        "last": formats.date_format(last, end),
    }
