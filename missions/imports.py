"""Reading rosters and polling-station lists from CSV and XLSX, shared by both importers.

The format is told by content, never by file name: an XLSX file is a zip archive, anything
else must be UTF-8 text (a byte-order mark is fine) and is read as CSV. The first row names
the columns; row numbers in error messages are those a spreadsheet shows, so the first data
row is row 2 and blank rows still count.

An import is all or nothing: the importers collect every problem they find (up to
MAX_ERRORS) and raise `ImportRejected` before writing anything.

The second half of the module plugs the importers into django-import-export's admin flow:
the uploaded bytes travel untouched to the same service the command line calls.
"""

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import tablib
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.resources import ModelResource
from import_export.results import InvalidRow, Result, RowResult
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from missions.content_languages import DEFAULT_LANGUAGE
from missions.models import Mission
from missions.permissions import MANAGE, missions_where

MAX_ERRORS = 50
# Kazakhstan has 10,101 polling stations; a file five times that is a mistake or an attack.
MAX_ROWS = 50_000
# An XLSX file is a zip: a few kilobytes can unpack to gigabytes. The parts are added up
# from the archive's directory before anything is unpacked.
XLSX_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
XLSX_SIGNATURE = b"PK\x03\x04"
CSV_DELIMITERS = ",;\t"


@dataclass(frozen=True)
class RowError:
    """One problem in an imported file: the spreadsheet row and column, when there is one."""

    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        if self.row is not None and self.field:
            return _("Row %(row)d, %(field)s: %(message)s") % {
                "row": self.row,
                "field": self.field,
                "message": self.message,
            }
        if self.row is not None:
            return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}
        if self.field:
            return _("Column %(field)s: %(message)s") % {
                "field": self.field,
                "message": self.message,
            }
        return self.message


class ImportRejected(Exception):
    """A file refused as a whole; `errors` says where and why. Nothing was written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


class CellInvalid(Exception):
    """A cell whose value cannot be used; the message tells the person fixing the file why."""


@dataclass
class ImportResult:
    """What an import created, updated and found already up to date, in file order."""

    created: list[models.Model] = field(default_factory=list)
    updated: list[models.Model] = field(default_factory=list)
    unchanged: list[models.Model] = field(default_factory=list)


class ErrorLog:
    """The problems found in a file so far, capped so a wholly wrong file stays readable."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def __len__(self) -> int:
        return len(self.errors)

    @property
    def full(self) -> bool:
        return len(self.errors) >= MAX_ERRORS

    def add(self, row: int | None, field: str | None, message: str) -> None:
        if not self.full:
            self.errors.append(RowError(row, field, message))

    def cell(self, row: "SheetRow", column: str, parse: Callable[..., Any], **options) -> Any:
        """Return the parsed cell, or None after logging why it cannot be used."""
        try:
            return parse(row.cells.get(column, ""), **options)
        except CellInvalid as error:
            self.add(row.number, column, str(error))
            return None

    def reject_if_any(self) -> None:
        if not self.errors:
            return
        # Checks run in passes (cells, then duplicates and the mission's rules); the reader
        # wants the file's order, with problems of the file as a whole first.
        errors = sorted(self.errors, key=lambda error: error.row or 0)
        if self.full:
            errors.append(
                RowError(
                    None,
                    None,
                    _(
                        "Checking stopped after %(count)d errors; correct these and import "
                        "the file again."
                    )
                    % {"count": MAX_ERRORS},
                )
            )
        raise ImportRejected(errors)


@dataclass(frozen=True)
class SheetRow:
    number: int
    cells: dict[str, Any]


@dataclass(frozen=True)
class Sheet:
    columns: frozenset[str]
    rows: list[SheetRow]


def sheet_read(
    *, file_name: str, content: bytes, columns: Sequence[str], required: Collection[str]
) -> Sheet:
    """Read the first sheet of a CSV or XLSX file into rows of cells keyed by column name.

    Reject the file if it is neither CSV nor XLSX, if its first row lacks a required column
    or names one the import does not read, or if a row has values under no column. Strings
    come back trimmed, empty cells as "", XLSX numbers and dates as Python values.
    """
    if content.startswith(XLSX_SIGNATURE):
        grid = _xlsx_grid(file_name, content)
    else:
        grid = _csv_grid(file_name, content)
    errors = ErrorLog()
    header = next(grid, None)
    if header is None:
        raise ImportRejected([RowError(None, None, _("The file is empty."))])
    names = [column_name_normalise(cell) for cell in header]
    if not any(names):
        raise ImportRejected(
            [RowError(1, None, _("The first row must name the columns, but it is empty."))]
        )
    seen: set[str] = set()
    for name in names:
        if not name:
            continue
        if name in seen:
            errors.add(1, name, _("This column appears twice in the first row."))
        elif name not in columns:
            errors.add(
                1,
                name,
                _("This import does not read a column of that name; the columns are: %(known)s.")
                % {"known": ", ".join(columns)},
            )
        seen.add(name)
    for name in required:
        if name not in seen:
            errors.add(None, name, _("This column is required but missing from the first row."))
    errors.reject_if_any()

    rows = []
    for number, values in enumerate(grid, start=2):
        cells = {}
        for position, value in enumerate(values):
            value = _cell_clean(value)
            name = names[position] if position < len(names) else ""
            if name:
                cells[name] = value
            elif value != "":
                errors.add(
                    number,
                    None,
                    _("Column %(letter)s has a value but no name in the first row.")
                    % {"letter": get_column_letter(position + 1)},
                )
        if any(value != "" for value in cells.values()):
            rows.append(SheetRow(number, cells))
        if errors.full:
            break
    errors.reject_if_any()
    return Sheet(columns=frozenset(seen), rows=rows)


def column_name_normalise(value: Any) -> str:
    # "Full name", " FULL_NAME " and "full-name" all name the column full_name.
    return re.sub(r"[\s\-_]+", "_", str(value if value is not None else "").strip()).lower()


def _not_a_spreadsheet(file_name: str) -> ImportRejected:
    return ImportRejected(
        [
            RowError(
                None,
                None,
                _(
                    "“%(file)s” is not a CSV or XLSX file. Save the spreadsheet as "
                    "“CSV UTF-8” or as an Excel workbook (.xlsx) and try again."
                )
                % {"file": file_name},
            )
        ]
    )


def _too_many_rows() -> ImportRejected:
    return ImportRejected(
        [
            RowError(
                None,
                None,
                _("The file has more than %(limit)s rows; split it into smaller files.")
                % {"limit": f"{MAX_ROWS:,}"},
            )
        ]
    )


def _xlsx_unpacked_size_check(file_name: str, content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_a_spreadsheet(file_name) from None
    if unpacked > XLSX_MAX_UNPACKED_BYTES:
        raise ImportRejected(
            [
                RowError(
                    None,
                    None,
                    _(
                        "“%(file)s” unpacks to %(size)d MB, more than the %(limit)d MB a "
                        "workbook may hold here; save it as CSV or split it."
                    )
                    % {
                        "file": file_name,
                        "size": unpacked // (1024 * 1024),
                        "limit": XLSX_MAX_UNPACKED_BYTES // (1024 * 1024),
                    },
                )
            ]
        )


def _xlsx_grid(file_name: str, content: bytes) -> Iterator[Sequence[Any]]:
    _xlsx_unpacked_size_check(file_name, content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        # A zip that openpyxl cannot open (a .docx, an .ods, a damaged file) fails in many
        # ways deep inside zipfile and the XML parser; to the user they all mean one thing.
        raise _not_a_spreadsheet(file_name) from None
    try:
        sheet = workbook.worksheets[0]
        # Some writers store a wrong sheet size; without it openpyxl reads every cell there is.
        sheet.reset_dimensions()
        rows = []
        for row in sheet.iter_rows(values_only=True):
            if len(rows) > MAX_ROWS:
                raise _too_many_rows()
            rows.append(tuple(row))
    except ImportRejected:
        raise
    except Exception:
        raise _not_a_spreadsheet(file_name) from None
    finally:
        workbook.close()
    return iter(rows)


def _csv_grid(file_name: str, content: bytes) -> Iterator[Sequence[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_a_spreadsheet(file_name) from None
    if "\x00" in text:
        # Binary files (a PDF, an image) can happen to decode; text never holds NUL.
        raise _not_a_spreadsheet(file_name)
    first_line = text.split("\n", 1)[0]
    try:
        # Spreadsheets set to a decimal comma (Russian, Kazakh) save CSV with ";".
        dialect = csv.Sniffer().sniff(first_line, delimiters=CSV_DELIMITERS)
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            if len(rows) > MAX_ROWS:
                raise _too_many_rows()
            rows.append(row)
    except csv.Error as error:
        raise ImportRejected(
            [
                RowError(
                    len(rows) + 1,
                    None,
                    _("This row cannot be read as CSV (%(reason)s).") % {"reason": error},
                )
            ]
        ) from None
    return iter(rows)


def _cell_clean(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.strip()
        # Our exports lead a formula-like cell with a quote (cell_neutralise); reading one
        # back gives the value as it was.
        if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_TRIGGERS):
            return value[1:]
        return value
    return value


# Cell parsers: each takes a cell as read (a trimmed string, or an XLSX number or date) and
# returns the value to store, or raises CellInvalid with a message for the user.


def cell_text(value: Any, *, max_length: int, required: bool = False) -> str:
    if isinstance(value, bool):
        text = _("yes") if value else _("no")
    elif isinstance(value, float) and value.is_integer():
        # XLSX stores the number 83 typed in a cell as 83.0.
        text = str(int(value))
    elif isinstance(value, datetime.datetime):
        text = value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    else:
        text = str(value).strip()
    if required and not text:
        raise CellInvalid(_("This is required."))
    if len(text) > max_length:
        raise CellInvalid(
            _("This is %(length)d characters long; at most %(max)d fit.")
            % {"length": len(text), "max": max_length}
        )
    return text


def cell_name(value: Any, *, max_length: int, required: bool = False) -> str:
    """Like cell_text, with runs of spaces made one, so a name matches however it was typed."""
    return " ".join(cell_text(value, max_length=max_length, required=required).split())


def cell_integer(value: Any, *, minimum: int = 0, maximum: int = 2_147_483_647) -> int | None:
    if value == "":
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        # Thousands are often grouped with spaces, ordinary or non-breaking: “1 234”.
        digits = re.sub(r"[\s\u00a0\u202f]", "", value)
        if re.fullmatch(r"\+?\d+", digits):
            number = int(digits)
    if number is None:
        raise CellInvalid(_("“%(value)s” is not a whole number.") % {"value": value})
    if not minimum <= number <= maximum:
        raise CellInvalid(
            _("%(value)d is out of range; give a number from %(min)d to %(max)d.")
            % {"value": number, "min": minimum, "max": maximum}
        )
    return number


def cell_decimal(value: Any, *, minimum: Decimal, maximum: Decimal, places: int) -> Decimal | None:
    if value == "":
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        if isinstance(value, int | float):
            number = Decimal(str(value))
        else:
            text = str(value)
            if "," in text and "." not in text:
                text = text.replace(",", ".")
            number = Decimal(text)
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise CellInvalid(_("“%(value)s” is not a number.") % {"value": value}) from None
    if not minimum <= number <= maximum:
        raise CellInvalid(
            _("%(value)s is out of range; give a number from %(min)s to %(max)s.")
            % {"value": value, "min": minimum, "max": maximum}
        )
    # Map services give seven or more decimals; six (about 10 cm) is what is stored.
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


TRUE_WORDS = frozenset({"yes", "true", "1", "y"})
FALSE_WORDS = frozenset({"no", "false", "0", "n", ""})


def cell_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS or word == _("yes").lower():
        return True
    if word in FALSE_WORDS or word == _("no").lower():
        return False
    raise CellInvalid(_("“%(value)s” is neither yes nor no.") % {"value": value})


DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def cell_date(value: Any) -> datetime.date | None:
    if value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value)
    try:
        if ISO_DATE.fullmatch(text):
            return datetime.date.fromisoformat(text)
        if match := DOTTED_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
    except ValueError:
        pass
    raise CellInvalid(
        _("“%(value)s” is not a date; write it as 2022-11-15 or 15.11.2022.") % {"value": value}
    )


def cell_choice(value: Any, *, choices: type[models.TextChoices], default: str) -> str:
    """Accept a choice's stored value or its label, in English or the user's language."""
    word = str(value).strip().casefold()
    if not word:
        return default
    with translation.override("en"):
        english = {str(label).casefold(): choice for choice, label in choices.choices}
    for choice, label in choices.choices:
        if word in (choice.casefold(), str(label).casefold()):
            return choice
    if word in english:
        return english[word]
    raise CellInvalid(
        _("“%(value)s” is not one of: %(choices)s.")
        % {"value": value, "choices": ", ".join(choices.values)}
    )


# ---- The admin: django-import-export's import page, scoped to the user's missions ----


class SpreadsheetUpload(base_formats.Format):
    """Carry the uploaded bytes, untouched, to the importer, which tells CSV from XLSX.

    django-import-export parses uploads into a tablib dataset; ours would lose the blank
    rows that keep row numbers right and could not say which file type was wrong. So the
    dataset here is only an envelope: one row, one `content` cell.
    """

    def __init__(self, encoding: str | None = None) -> None:
        self.encoding = encoding

    def get_title(self) -> str:
        return gettext_lazy("CSV or XLSX")

    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        dataset = tablib.Dataset(headers=["content"])
        dataset.append([in_stream])
        return dataset

    def can_import(self) -> bool:
        return True


class MissionImportForm(ImportForm):
    mission = forms.ModelChoiceField(
        label=gettext_lazy("Mission"), queryset=Mission.objects.none(), empty_label=None
    )
    field_order = ["mission", "resource", "import_file", "format"]

    def __init__(self, formats, resources, *, missions: QuerySet[Mission], **kwargs) -> None:
        super().__init__(formats, resources, **kwargs)
        self.fields["mission"].queryset = missions
        self.fields["import_file"].label = gettext_lazy("CSV or XLSX file")


class MissionConfirmImportForm(ConfirmImportForm):
    mission = forms.ModelChoiceField(queryset=Mission.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *, missions: QuerySet[Mission], **kwargs) -> None:
        super().__init__(**kwargs)
        # Checked again on confirmation: the hidden field is the user's to tamper with.
        self.fields["mission"].queryset = missions


class SpreadsheetImportResult(Result):
    """django-import-export's result, plus what our template shows: the rejection, if the
    file was refused, or the first rows, since rendering 10,000 is no help."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rejection: ImportRejected | None = None
        self.preview: list[RowResult] = []


PREVIEW_ROWS = 100


class SpreadsheetResource(ModelResource):
    """A resource that exports with django-import-export and imports through a service.

    Subclasses declare the columns (the same for export and import, so an export can be
    corrected and imported back) and implement `file_import`.
    """

    def __init__(self, mission: Mission | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.mission = mission

    @classmethod
    def get_result_class(cls):
        return SpreadsheetImportResult

    def export(self, *args, **kwargs):
        # The columns are the English texts, as imports read them, whatever language the
        # person exporting reads the site in (docs/languages.md).
        with translation.override(DEFAULT_LANGUAGE):
            return super().export(*args, **kwargs)

    def file_import(self, *, file_name: str, content: bytes, dry_run: bool) -> ImportResult:
        raise NotImplementedError

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        if self.mission is None:
            raise ValueError("Importing needs the mission to import into.")
        result = self.get_result_class()()
        result.diff_headers = self.get_export_headers()
        try:
            outcome = self.file_import(
                file_name=kwargs.get("file_name") or "",
                content=dataset["content"][0],
                dry_run=dry_run,
            )
        except ImportRejected as rejection:
            result.rejection = rejection
            for error in rejection.errors:
                result.invalid_rows.append(
                    InvalidRow(
                        number=error.row,
                        validation_error=ValidationError(
                            {error.field or NON_FIELD_ERRORS: [error.message]}
                        ),
                        values=(),
                    )
                )
            return result
        for import_type, instances in (
            (RowResult.IMPORT_TYPE_NEW, outcome.created),
            (RowResult.IMPORT_TYPE_UPDATE, outcome.updated),
            (RowResult.IMPORT_TYPE_SKIP, outcome.unchanged),
        ):
            for instance in instances:
                row_result = self.get_row_result_class()()
                row_result.import_type = import_type
                row_result.instance = instance
                if instance.pk is not None:
                    row_result.add_instance_info(instance)
                if len(result.preview) < PREVIEW_ROWS:
                    row_result.diff = self.export_resource(instance)
                    result.preview.append(row_result)
                result.append_row_result(row_result)
                result.increment_row_result_total(row_result)
        result.total_rows = len(result.rows)
        return result


# A cell starting with one of these is read as a formula by Excel or LibreOffice (tab and
# carriage return hide one behind whitespace). OWASP's advice: lead with a quote, which the
# spreadsheet shows as text; the value stays readable and nothing in it is lost.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def cell_neutralise(value: Any) -> Any:
    """Return a text cell prefixed with ' if a spreadsheet would take it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class _FormulaSafeExport:
    """Neutralise every text cell of an export before it is written (CSV and XLSX alike)."""

    def export_data(self, dataset, **kwargs):
        safe = tablib.Dataset(headers=dataset.headers, title=dataset.title)
        for row in dataset:
            safe.append([cell_neutralise(cell) for cell in row])
        return super().export_data(safe, **kwargs)


class SafeCSV(_FormulaSafeExport, base_formats.CSV):
    pass


class SafeXLSX(_FormulaSafeExport, base_formats.XLSX):
    pass


class MissionImportExportMixin(ImportExportMixin):
    """Import and export a mission's rows from the admin changelist, as CSV or XLSX.

    The import form asks for the mission, offering only those the user coordinates, and
    hands the file to the resource's service; an export holds the same columns.
    """

    import_form_class = MissionImportForm
    confirm_form_class = MissionConfirmImportForm
    import_template_name = "admin/missions/import.html"
    import_formats = [SpreadsheetUpload]
    export_formats = [SafeCSV, SafeXLSX]

    def get_import_missions(self, request: HttpRequest) -> QuerySet[Mission]:
        return missions_where(request.user, MANAGE)

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_import_form_kwargs(self, request):
        kwargs = super().get_import_form_kwargs(request)
        kwargs["missions"] = self.get_import_missions(request)
        return kwargs

    def get_confirm_form_kwargs(self, request, import_form=None):
        kwargs = super().get_confirm_form_kwargs(request, import_form)
        kwargs["missions"] = self.get_import_missions(request)
        return kwargs

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["mission"] = import_form.cleaned_data["mission"]
        return initial

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        cleaned_data = getattr(form, "cleaned_data", None) or {}
        return {"mission": cleaned_data.get("mission")}
