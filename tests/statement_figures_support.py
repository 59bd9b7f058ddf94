"""Read the figures out of a statement's text in English, Russian or Chinese, each language as
it writes them: numbers in figures (10,101 / 10 101) and in words (six / шесть / 六名), per
cents (69.16 per cent / 69,16 % / 69.16%), dates (27 September 2022 / 27 сентября 2022 года /
2022年9月27日), periods that say the shared month or year once (с 17 по 20 ноября 2022 года /
2022年11月17日至20日) and articles of a law (Article 33.2 / пункт 2 статьи 33 / 第33条第2款).

Nothing here comes from the composer. A figure is a date, a number (a Decimal), a per cent
("per cent", Decimal("69.16")) or an article ("article", "33.2").
"""

import datetime
import re
from collections import Counter
from decimal import Decimal
from html import unescape

EN_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
RU_MONTHS = [
    "январ",
    "феврал",
    "март",
    "апрел",
    "ма[йяе]",
    "июн",
    "июл",
    "август",
    "сентябр",
    "октябр",
    "ноябр",
    "декабр",
]
EN_WORDS = {
    word: n
    for n, word in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"], 1
    )
}
RU_WORDS = {
    form: n
    for n, forms in enumerate(
        [
            "один одна одно одного одной одному одним",
            "два две двух двум двумя",
            "три трёх трех трём трем тремя",
            "четыре четырёх четырех четырём четырем четырьмя",
            "пять пяти пятью",
            "шесть шести шестью",
            "семь семи семью",
            "восемь восьми восемью",
            "девять девяти девятью",
            "десять десяти десятью",
        ],
        1,
    )
    for form in forms.split()
}
ZH_WORDS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
ZH_WORDS["十"] = 10
# A Chinese numeral counts something only before a measure word; after these characters 一
# belongs to a word (每一位 “every”, 这一 “this”, 第一 “first”, 最后一次 “the last time”).
ZH_MEASURES = "个名位项次家处起份篇年月天"
ZH_NOT_COUNTING = "每任第同唯统进这之后前"

Figure = datetime.date | Decimal | tuple[str, Decimal | str]


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.found: list[tuple[int, str, object]] = []
        self.taken: list[tuple[int, int]] = []

    def each(self, pattern: str, make, flags=0):
        for match in re.finditer(pattern, self.text, flags):
            if any(a < match.end() and match.start() < b for a, b in self.taken):
                continue
            self.taken.append(match.span())
            for value in make(match):
                self.found.append((match.start(), *value))

    def figures(self) -> list[tuple[str, object]]:
        return [(kind, value) for _at, kind, value in sorted(self.found, key=lambda f: f[0])]


def _date(year, month, day):
    return [("date", (int(year) if year else None, month, int(day)))]


def _number(text: str, group: str = ",", decimal: str = ".") -> list:
    digits = re.sub(group, "", text).replace(decimal, ".")
    return [("number", Decimal(digits))]


def _english(reader: _Reader) -> None:
    months = "(" + "|".join(EN_MONTHS) + ")"
    reader.each(
        r"(?:sub)?paragraphs? (\d+)(?: and (\d+))? of Article (\d+)",
        lambda m: [("article", f"{m[3]}.{n}") for n in (m[1], m[2]) if n],
    )
    reader.each(
        r"Articles? (\d+)\.(\d+)((?:,? and \d+\.\d+)*)",
        lambda m: [
            ("article", f"{a}.{b}") for a, b in [(m[1], m[2]), *re.findall(r"(\d+)\.(\d+)", m[3])]
        ],
    )
    reader.each(
        rf"(?<![\d.,])(\d{{1,2}}) {months}(?:,? (\d{{4}}))?",
        lambda m: _date(m[3], EN_MONTHS.index(m[2].lower()) + 1, m[1]),
        re.I,
    )
    reader.each(
        r"(?<![\d.,])(\d+(?:\.\d+)?) ?(?:per cent|percent|%)",
        lambda m: [("per cent", Decimal(m[1]))],
    )
    reader.each(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\d)", lambda m: _number(m[0]))
    reader.each(
        r"(?<!no )\b(" + "|".join(EN_WORDS) + r")\b",
        lambda m: [("number", Decimal(EN_WORDS[m[1].lower()]))],
        re.I,
    )


def _russian(reader: _Reader) -> None:
    month = "(" + "|".join(RU_MONTHS) + ")[а-яё]*"
    reader.each(
        r"пункт[а-я]*\s+(\d+)(?:\s+и\s+(\d+))?\s+стать[а-я]*\s+(\d+)",
        lambda m: [("article", f"{m[3]}.{n}") for n in (m[1], m[2]) if n],
    )
    # “с 17 по 20 ноября”: the first day takes the month of the last.
    reader.each(
        rf"(?<![\d.,])(\d{{1,2}})(?=\s+по\s+\d{{1,2}}\s+{month})",
        lambda m: _date(None, None, m[1]),
        re.I,
    )
    reader.each(
        rf"(?<![\d.,])(\d{{1,2}})\s+{month}(?:\s+(\d{{4}})\s*(?:года|г\.))?",
        lambda m: _date(
            m[3], next(i for i, s in enumerate(RU_MONTHS, 1) if re.match(s, m[2], re.I)), m[1]
        ),
        re.I,
    )
    reader.each(
        r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*(?:%|процент)",
        lambda m: [("per cent", Decimal(m[1].replace(",", ".")))],
    )
    reader.each(
        r"(?<![\d.,])(?:\d{1,3}(?:[\u00a0\u202f ]\d{3})+|\d+)(?:[.,]\d+)?(?!\d)",
        lambda m: _number(m[0].replace(",", "."), group=r"[\u00a0\u202f ]"),
    )
    reader.each(
        r"(?<!ни )(?<![\w-])(" + "|".join(RU_WORDS) + r")(?![\w-])",
        lambda m: [("number", Decimal(RU_WORDS[m[1].lower()]))],
        re.I,
    )


def _chinese(reader: _Reader) -> None:
    reader.each(
        r"第(\d+)条第(\d+)[款项](?:[和、]第?(\d+)[款项])?",
        lambda m: [("article", f"{m[1]}.{n}") for n in (m[2], m[3]) if n],
    )
    # “2022年11月17日至20日”: the last day takes the year and month of the first.
    reader.each(
        r"(?<!\d)(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日",
        lambda m: _date(m[1], int(m[2]) if m[2] else None, m[3]),
    )
    reader.each(r"(?<![\d.,])(\d+(?:\.\d+)?)\s*%", lambda m: [("per cent", Decimal(m[1]))])
    reader.each(
        r"(?<![\d.,])(\d+(?:\.\d+)?)多?万",
        lambda m: [("number", Decimal(m[1]) * 10_000)],
    )
    reader.each(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\d)", lambda m: _number(m[0]))
    reader.each(
        rf"(?<![{ZH_NOT_COUNTING}])([{''.join(ZH_WORDS)}])(?=[{ZH_MEASURES}])",
        lambda m: [("number", Decimal(ZH_WORDS[m[1]]))],
    )


READERS = {"en": _english, "ru": _russian, "zh-hans": _chinese}


def paragraph_figures(text: str, language: str, year: int) -> list[Figure]:
    """The figures of one paragraph in their order. A date that leaves out its month or year
    takes it from the date next to it (the following one first); a date of the statement
    without a year (“On 18 November”) is in `year`."""
    reader = _Reader(re.sub(r"\s+", lambda m: "\u00a0" if "\u00a0" in m[0] else " ", text))
    READERS[language](reader)
    figures = reader.figures()
    dates = [i for i, (kind, _value) in enumerate(figures) if kind == "date"]
    for place, i in enumerate(dates):
        y, month, day = figures[i][1]
        neighbours = dates[place + 1 : place + 2] + dates[max(place - 1, 0) : place]
        for j in neighbours:
            other_year, other_month, _day = figures[j][1]
            if month is None and other_month is not None:
                month = other_month
            if y is None and other_year is not None and month == other_month:
                y = other_year
        figures[i] = ("date", (y or year, month, day))
    return [_figure(kind, value) for kind, value in figures]


def _figure(kind: str, value) -> Figure:
    if kind == "date":
        return datetime.date(*value)
    if kind == "number":
        return value
    return (kind, value)


def figures_of(paragraphs: list[str], language: str, year: int) -> list[Counter]:
    """Each paragraph's figures, as a multiset: within a sentence each language has its own
    word order (“22 polling stations in four districts” / “四个区…共22个投票站”)."""
    return [Counter(paragraph_figures(p, language, year)) for p in paragraphs]


def html_paragraphs(html: str) -> dict[str, list[str]]:
    """A statement page's paragraphs and list items by part: "header", "preamble", each
    section by its number, "closing". Headings are left out (their number is the part's)."""
    article = html[html.index("<article") : html.index("</article>")]

    def texts(chunk: str) -> list[str]:
        chunk = re.sub(r"<h2>.*?</h2>", "", chunk, flags=re.S)
        return [
            unescape(re.sub(r"<[^>]+>", "", body))
            for _tag, body in re.findall(r"<(p|li|h1)\b[^>]*>(.*?)</\1>", chunk, re.S)
        ]

    parts = {"header": texts(re.search(r"<header.*?</header>", article, re.S)[0])}
    preamble = re.search(r'<div class="statement-preamble">(.*?)</div>', article, re.S)
    parts["preamble"] = texts(preamble[1]) if preamble else []
    for section in re.findall(r'<section class="statement-section">(.*?)</section>', article, re.S):
        heading = unescape(re.search(r"<h2>(.*?)</h2>", section, re.S)[1])
        number = re.match(r"\s*(\d+)", heading)[1]
        parts[f"section {number}"] = texts(section)
    closing = re.search(r'<div class="statement-closing">(.*?)</div>', article, re.S)
    parts["closing"] = texts(closing[1]) if closing else []
    return parts


def markdown_paragraphs(markdown: str) -> list[str]:
    """An authored text's paragraphs and list items, as its reader sees them."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": False}).render(markdown or "")
    return [
        unescape(re.sub(r"<[^>]+>", "", body))
        for _tag, body in re.findall(r"<(p|li)\b[^>]*>(.*?)</\1>", html, re.S)
    ]
