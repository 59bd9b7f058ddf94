"""The translation catalogues: complete, compiled, and holding every string the code marks.

A Russian or Chinese reader must never meet an English sentence the code marked for
translation: every entry of every catalogue is translated and none is fuzzy, the compiled
`.mo` says what its `.po` says, and `makemessages` run on today's code finds no marked
string the catalogues lack.
"""

import ast
import gettext
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
# Locale folder names as gettext spells them (zh-hans is zh_Hans on disk).
CATALOGUES = ["ru", "zh_Hans"]
# What makemessages leaves out (the Makefile's MAKEMESSAGES_IGNORE says the same): everything
# else at the project's root is product code whose strings belong in the catalogues.
NOT_PRODUCT = {
    ".venv",
    ".git",
    ".ci",
    "tests",
    "bench",
    "docs",
    "locale",
    "static",
    "staticfiles",
    "media",
    "node_modules",
}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file as msgmerge writes it (header included, msgid "")."""
    entries: list[Entry] = []
    entry = Entry()
    current: tuple[str, int | None] | None = None
    started = False

    def finish():
        nonlocal entry, started, current
        if started:
            entries.append(entry)
        entry, started, current = Entry(), False, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            line = line[2:].strip()
            if not line:
                continue
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        elif line.startswith("#"):
            continue
        if line.startswith('"'):
            text = ast.literal_eval(line)
            name, index = current
            if name == "msgstr":
                entry.msgstr[index] += text
            else:
                setattr(entry, name, (getattr(entry, name) or "") + text)
            continue
        keyword, _, value = line.partition(" ")
        text = ast.literal_eval(value)
        if keyword.startswith("msgstr["):
            index = int(keyword[7:-1])
            entry.msgstr[index] = text
            current = ("msgstr", index)
        elif keyword == "msgstr":
            entry.msgstr[0] = text
            current = ("msgstr", 0)
        elif keyword in ("msgid", "msgid_plural", "msgctxt"):
            if keyword == "msgid" and started and entry.msgstr:
                finish()
            setattr(entry, keyword, text)
            current = (keyword, None)
        else:
            raise ValueError(f"{path}: cannot read line {raw!r}")
        started = True
    finish()
    return entries


def plural_count(entries: list[Entry]) -> int:
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None)
    for line in header.msgstr[0].splitlines():
        if line.startswith("Plural-Forms:"):
            return int(line.split("nplurals=")[1].split(";")[0])
    raise AssertionError("the catalogue's header has no Plural-Forms")


def live(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not e.obsolete and e.msgid != ""]


# "django" holds the pages' and the statements' strings; "djangojs" those of the observer
# pages' scripts (served by /jsi18n/).
DOMAINS = ("django", "djangojs")


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_every_entry_is_translated_and_none_is_fuzzy(catalogue, domain):
    entries = read_po(LOCALE / catalogue / "LC_MESSAGES" / f"{domain}.po")
    forms = plural_count(entries)
    header = next(e for e in entries if e.msgid == "")
    assert "fuzzy" not in header.flags, f"{catalogue}: the header is marked fuzzy"
    assert f"Language: {catalogue}" in header.msgstr[0]

    untranslated = []
    fuzzy = []
    for entry in live(entries):
        expected = forms if entry.msgid_plural is not None else 1
        if len(entry.msgstr) != expected or not all(entry.msgstr.values()):
            untranslated.append(entry.msgid)
        if "fuzzy" in entry.flags:
            fuzzy.append(entry.msgid)
    assert not untranslated, (
        f"{len(untranslated)} untranslated entries in {catalogue}, e.g. {untranslated[:5]}"
    )
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries in {catalogue}, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_the_compiled_catalogue_says_what_the_po_file_says(catalogue, domain):
    folder = LOCALE / catalogue / "LC_MESSAGES"
    mo = folder / f"{domain}.mo"
    assert mo.exists(), f"{mo} is missing: run `make messages`"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    for entry in live(read_po(folder / f"{domain}.po")):
        if "fuzzy" in entry.flags or not all(entry.msgstr.values()):
            continue
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            assert compiled.get(msgid) == entry.msgstr[0], (
                f"{mo} is older than its .po for {entry.msgid!r}: run `make messages`"
            )
        else:
            for index, text in entry.msgstr.items():
                assert compiled.get((msgid, index)) == text, (
                    f"{mo} is older than its .po for {entry.msgid!r}: run `make messages`"
                )


def test_no_string_marked_in_the_code_is_missing_from_the_catalogues(tmp_path):
    """makemessages on today's code, into a scratch folder, finds nothing the catalogues lack."""
    source = tmp_path / "source"
    source.mkdir()
    for path in ROOT.iterdir():
        if path.name not in NOT_PRODUCT and not path.name.startswith("."):
            os.symlink(path, source / path.name)
    scratch = tmp_path / "locale"
    scratch.mkdir()
    here = Path.cwd()
    try:
        os.chdir(source)
        with override_settings(LOCALE_PATHS=[scratch]):
            call_command(
                "makemessages",
                locale=["ru"],
                symlinks=True,
                ignore_patterns=["*/migrations/*"],
                no_obsolete=True,
                verbosity=0,
            )
    finally:
        os.chdir(here)
    marked = {e.key for e in live(read_po(scratch / "ru" / "LC_MESSAGES" / "django.po"))}
    assert len(marked) > 100, "makemessages found almost nothing: is the scratch copy right?"
    for catalogue in CATALOGUES:
        held = {e.key for e in live(read_po(LOCALE / catalogue / "LC_MESSAGES" / "django.po"))}
        missing = sorted(marked - held, key=str)
        assert not missing, (
            f"{len(missing)} marked strings are missing from {catalogue}, e.g. {missing[:5]}; "
            "run `make messages-update` and translate them"
        )
