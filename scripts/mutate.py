"""Mutation testing of the statement figures: would the tests notice a wrong figure?

Makes one small change at a time ("a mutant") to the findings (reports.statements.findings)
and to the composer's figure code (the functions of reports.statements.composer named in
TARGETS), runs the tests that guard figures, and counts the mutants they kill (a test fails).
A mutant that survives is either a gap in the tests or equivalent (it changes nothing a reader
could see); EQUIVALENT lists those judged so, with why.

Changes made: comparisons turned around (== and !=, < and <=, in and not in, ...), `and` and
`or` swapped, a `not` dropped, True and False swapped, a number made one larger, an argument
of a query's filter dropped (another mission's visits counted, unreviewed visits counted), a
set made a list (visits counted as stations), `&` and `|` swapped, `+` and `-` swapped, a
`continue` dropped, a condition made always true or always false.

    DATABASE_URL=postgres://... .venv/bin/python scripts/mutate.py           # all mutants
    .venv/bin/python scripts/mutate.py --list                                # what would run
    .venv/bin/python scripts/mutate.py --only 12 --only 40                   # some of them

TARGETS names modules by import path (a package stands for every module in it), so when the
code moves only those lines change. A mutant is known by its key, "function:change in `code`#n"
(the n-th such change in functions of that name), which names no file and no line: EQUIVALENT
keeps its judgements when the code moves. A judgement whose key no longer names a mutant
stops the run, to be made again.

The mutants run in one process: each mutant's functions take the place of the originals'
code (so every module that imported them runs the mutant) and the tests run with pytest in
that process, the property test first (most mutants die there in seconds), the slower tests
only for a mutant that survives it. The files are never changed. The run prints each mutant's
outcome, then the score (killed of those not judged equivalent) and every survivor, and
fails when the score is under 90 %. Results also go to mutants.json.
"""

import argparse
import ast
import copy
import inspect
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

# Module (or package: every module in it) → the functions and methods mutated, by name; None
# for every function. Modules by their import path, so a move needs one line changed here.
TARGETS: dict[str, set[str] | None] = {
    "reports.statements.findings": None,
    "reports.statements.composer": {
        "assessment_paragraphs",
        "grave_paragraph",
        "complaints_paragraph",
        "review_note",
        "coverage_paragraph",
        "phases_paragraph",
        "incident_paragraphs",
        "turnout_paragraph",
        "concern_sentence",
        "figure",
    },
}
# Mutants judged equivalent, by key → why. A key names the function (its own name, without
# module or class), the change and the code it changes, and which of the same changes in that
# function it is (#1 the first): "function:change in `code`#n". No file or line, so a key
# still holds when the function moves to another module or the lines above it change.
LOOKUP_ONLY = "only this mission's counted visits (or their stations) are ever looked up in it"
MEMBERSHIP = "a membership test: a list answers the same"
KNOWN_PHASES = (
    "every checklist's phase is one of Phase's values: the default for an unknown one is never used"
)
ALL_ELECTION_DAY = (
    "when every phase observed is of election day, the general branch picks every visit and "
    "station too, in the same order: the shortcut only saves a pass over the visits"
)
EQUIVALENT: dict[str, str] = {
    "all_clear:> → >= in `self.stations_answered > 0`#1": (
        "the findings hold a question only where it was observed at a station at least once "
        "(stations_answered is never 0)"
    ),
    "visit_ids_in:set(...) → list(...) in `set(phases)`#1": MEMBERSHIP,
    "visit_ids_in:set(...) → list(...) in `set(checklists)`#1": MEMBERSHIP,
    "_findings_compute:drop mission= in `Checklist.objects.filter(mission=mission)`#1": (
        "the checklists are only looked up by the checklists of this mission's visits (label_of, "
        "and the turnout's of_phase, tested against this mission's visits' checklists)"
    ),
    "_findings_compute:99 → 100 in `phase_order.get(phase, 99)`#1": KNOWN_PHASES,
    "_findings_compute:<= → < in `set(visits_by_phase) <= set(ELECTION_DAY_PHASES)`#1": (
        ALL_ELECTION_DAY
    ),
    (
        "_findings_compute:`if` condition → False in "
        "`set(visits_by_phase) <= set(ELECTION_DAY_PHASES)`#1"
    ): ALL_ELECTION_DAY,
    "_coverage:`if` condition → True in `area is not None`#1": (
        "stations without an area are then counted under area None, which the query of areas "
        "(pk__in ignores None) never returns: they stay out of the coverage as before"
    ),
    "_places:drop pk__in= in `PollingStation.objects.filter(pk__in=list(stations))`#1": (
        f"the stations' areas: {LOOKUP_ONLY}"
    ),
    "_answers:set(...) → list(...) in `set(unobserved[visit])`#1": MEMBERSHIP,
    "_answers:or → and in `question.clear_item or ''`#1": (
        "a statement reads the short phrase through QuestionFinding.localized, from the "
        "translations, which hold it in every language (English the fallback); the attribute "
        "itself is read only when all of them are empty, and then it is empty either way"
    ),
    "_answers:99 → 100 in `phase_order.get(f.phase, 99)`#1": KNOWN_PHASES,
    "_answers:True → False in `strict=True`#1": (
        "the concerns are parsed from the texts of those very visits, one list each: the "
        "lengths always agree"
    ),
    "_answers:True → False in `strict=True`#2": (
        "each item is a (visit, answer, station) triple: the three columns are always as long"
    ),
    "_turnout:True → False in `strict=True`#1": (
        "the stations are read from the very rows they are zipped with: the lengths always agree"
    ),
    "_lists:`if` condition → False in `not rows`#1": "no rows parse as an empty list: {} again",
    "_lists:True → False in `strict=True`#1": (
        "the parsed list is built from the rows, one item each: the lengths always agree"
    ),
    "concern_sentence:or → and in `question.observed or question.stations_answered`#1": (
        "the two are the same figure (stations_answered is the older name of stations_observed)"
    ),
    "_incidents:drop visit__mission= in `Incident.objects.filter(visit__mission=mission)`#1": (
        "every incident is then kept only if its visit is one of this mission's counted "
        "visits (row[1] in station_of)"
    ),
}

COMPARE_SWAPS = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd}
QUERY_METHODS = {"filter", "exclude"}
SYMBOLS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.Add: "+",
    ast.Sub: "-",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.And: "and",
    ast.Or: "or",
}
CODE_WIDTH = 60


def _code(node) -> str:
    """The code a mutant changes, on one line, shortened in the middle when long."""
    text = " ".join(ast.unparse(node).split())
    if len(text) > CODE_WIDTH:
        half = (CODE_WIDTH - 3) // 2
        text = f"{text[:half]}...{text[-half:]}"
    return text


@dataclass
class Mutant:
    number: int
    module: str
    path: str
    line: int
    function: str
    description: str
    # The how-many-th mutant with this function and description (1 the first).
    occurrence: int = 1

    @property
    def key(self) -> str:
        return f"{self.function}:{self.description}#{self.occurrence}"


@dataclass
class _Place:
    line: int
    function: str
    description: str


class _Mutator(ast.NodeTransformer):
    """Walks a module; counts every place a mutation applies; applies the `target`-th."""

    def __init__(self, functions: set[str] | None, target: int | None = None):
        self.functions = functions
        self.target = target
        self.found: list[_Place] = []
        self._inside = 0
        self._names: list[str] = []
        self._statements: list[ast.stmt] = []
        self._stack: list[ast.AST] = []

    # -- scope: only inside the chosen functions -------------------------------------------
    def _function(self, node):
        chosen = self.functions is None or node.name in self.functions
        self._inside += chosen
        self._names.append(node.name)
        node = self.generic_visit(node)
        self._names.pop()
        self._inside -= chosen
        return node

    visit_FunctionDef = _function

    def visit(self, node):
        self._stack.append(node)
        statement = isinstance(node, ast.stmt)
        if statement:
            self._statements.append(node)
        try:
            return super().visit(node)
        finally:
            if statement:
                self._statements.pop()
            self._stack.pop()

    def _context(self):
        """The expression (or argument, or statement) a constant stands in."""
        for node in reversed(self._stack[:-1]):
            if isinstance(node, ast.Slice | ast.Constant):
                continue
            if isinstance(node, ast.expr | ast.keyword | ast.arguments | ast.stmt):
                return node
        return self._stack[-1]

    def _candidate(self, node, change: str, code) -> bool:
        """Record a place (the change, in the code it changes); tell whether it is the one
        to mutate."""
        if not self._inside:
            return False
        self.found.append(
            _Place(getattr(node, "lineno", 0), self._names[-1], f"{change} in `{code}`")
        )
        return len(self.found) - 1 == self.target

    # -- mutations ---------------------------------------------------------------------------
    def visit_Compare(self, node):
        code = _code(node)
        self.generic_visit(node)
        for index, op in enumerate(node.ops):
            swap = COMPARE_SWAPS.get(type(op))
            change = f"{SYMBOLS[type(op)]} → {SYMBOLS[swap]}"
            if len(node.ops) > 1:
                change += f" (comparison {index + 1})"
            if swap and self._candidate(node, change, code):
                node.ops[index] = swap()
        return node

    def visit_BoolOp(self, node):
        code = _code(node)
        self.generic_visit(node)
        swap = ast.Or if isinstance(node.op, ast.And) else ast.And
        if self._candidate(node, f"{SYMBOLS[type(node.op)]} → {SYMBOLS[swap]}", code):
            node.op = swap()
        return node

    def visit_UnaryOp(self, node):
        code = _code(node)
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and self._candidate(node, "drop `not`", code):
            return node.operand
        return node

    def visit_BinOp(self, node):
        code = _code(node)
        self.generic_visit(node)
        swap = BINOP_SWAPS.get(type(node.op))
        if swap and self._candidate(node, f"{SYMBOLS[type(node.op)]} → {SYMBOLS[swap]}", code):
            node.op = swap()
        return node

    def visit_AugAssign(self, node):
        code = _code(node)
        self.generic_visit(node)
        swap = BINOP_SWAPS.get(type(node.op))
        if swap and self._candidate(node, f"{SYMBOLS[type(node.op)]}= → {SYMBOLS[swap]}=", code):
            node.op = swap()
        return node

    def visit_AnnAssign(self, node):
        # A local variable's annotation is never evaluated: only its value can be mutated.
        if node.value is None:
            return node
        node.value = self.visit(node.value)
        return node

    def visit_Constant(self, node):
        code = _code(self._context())
        if isinstance(node.value, bool):
            if self._candidate(node, f"{node.value} → {not node.value}", code):
                return ast.copy_location(ast.Constant(not node.value), node)
        elif isinstance(node.value, int) and self._candidate(
            node, f"{node.value} → {node.value + 1}", code
        ):
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node

    def visit_Continue(self, node):
        # The `if` (or loop) the `continue` belongs to tells which one it is.
        owner = self._statements[-2] if len(self._statements) > 1 else node
        code = _code(owner.test) if isinstance(owner, ast.If | ast.While) else _code(node)
        if self._candidate(node, "drop `continue`", code):
            return ast.copy_location(ast.Pass(), node)
        return node

    def visit_If(self, node):
        code = _code(node.test)
        self.generic_visit(node)
        for value in (True, False):
            if self._candidate(node, f"`if` condition → {value}", code):
                node.test = ast.copy_location(ast.Constant(value), node.test)
        return node

    def visit_Call(self, node):
        code = _code(node)
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in QUERY_METHODS:
            for keyword in list(node.keywords):
                if keyword.arg and self._candidate(node, f"drop {keyword.arg}=", code):
                    node.keywords = [k for k in node.keywords if k is not keyword]
        if (
            isinstance(func, ast.Name)
            and func.id == "set"
            and node.args
            and self._candidate(node, "set(...) → list(...)", code)
        ):
            node.func = ast.copy_location(ast.Name("list", ast.Load()), func)
        return node


def _scan(path: Path, functions, target=None) -> tuple[list[_Place], ast.Module]:
    tree = ast.parse(path.read_text())
    # Docstrings and annotations hold no figures: leave them alone.
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Module) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                node.body[0] = ast.Pass()
        if isinstance(node, ast.FunctionDef):
            for argument in node.args.args + node.args.kwonlyargs:
                argument.annotation = None
            node.returns = None
    mutator = _Mutator(functions, target)
    mutated = mutator.visit(copy.deepcopy(tree))
    ast.fix_missing_locations(mutated)
    return mutator.found, mutated


def _modules() -> list[tuple[str, Path, set[str] | None]]:
    """Every module of TARGETS (a package's modules one by one), with its file: found by
    import path, without importing it (or Django)."""
    import importlib.util

    found = []
    for name, functions in TARGETS.items():
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            sys.exit(f"TARGETS names {name}, which is no module")
        origin = Path(spec.origin)
        if spec.submodule_search_locations:
            for path in sorted(origin.parent.rglob("*.py")):
                parts = path.relative_to(origin.parent).with_suffix("").parts
                parts = parts[:-1] if parts[-1] == "__init__" else parts
                found.append((".".join((name, *parts)), path, functions))
        else:
            found.append((name, origin, functions))
    return found


def mutants() -> list[Mutant]:
    found: list[Mutant] = []
    seen: dict[tuple[str, str], int] = {}
    for module, path, functions in _modules():
        places, _tree = _scan(path, functions)
        for place in places:
            occurrence = seen[(place.function, place.description)] = (
                seen.get((place.function, place.description), 0) + 1
            )
            found.append(
                Mutant(
                    len(found),
                    module,
                    str(path.relative_to(PROJECT)),
                    place.line,
                    place.function,
                    place.description,
                    occurrence,
                )
            )
    return found


# The tests in tiers: the property test kills most mutants in seconds; the rest run only for
# a mutant that survives it.
TIERS = [
    ["tests/test_statement_figures.py"],
    ["tests/test_statement_figure_edges.py"],
    ["tests/test_statement_evidence_rules.py", "tests/test_composer.py"],
]


_NAMES: dict[str, str] = {}


def _functions(namespace: dict, module_name: str):
    """Every function of a module and of its classes (properties too), by qualified name."""
    for name, value in list(namespace.items()):
        if getattr(value, "__module__", None) != module_name:
            continue
        if isinstance(value, type):
            for attribute, member in vars(value).items():
                if isinstance(member, property) and member.fget is not None:
                    yield f"{name}.{attribute}", member.fget
                elif callable(member) and hasattr(member, "__code__"):
                    yield f"{name}.{attribute}", member
        elif hasattr(value, "__code__"):
            # A decorated function (a context manager, say) runs the function it wraps: that
            # one takes the mutant's code, or the mutant would never run.
            yield name, inspect.unwrap(value)


def _patch(module, tree: ast.Module) -> dict:
    """Give the module's functions the mutant's code in place (every reference to them, e.g.
    `from reports.statements.findings import findings_compute` elsewhere, runs the mutant); return
    what to restore."""
    namespace = dict(vars(module))
    exec(compile(tree, module.__file__, "exec"), namespace)
    mutated = dict(_functions(namespace, module.__name__))
    saved = {}
    for name, function in _functions(vars(module), module.__name__):
        replacement = mutated.get(name)
        if replacement is None:
            continue
        saved[name] = (function, function.__code__, function.__defaults__, function.__kwdefaults__)
        function.__code__ = replacement.__code__
        function.__defaults__ = replacement.__defaults__
        function.__kwdefaults__ = replacement.__kwdefaults__
    return saved


def _restore(saved: dict) -> None:
    for function, code, defaults, kwdefaults in saved.values():
        function.__code__ = code
        function.__defaults__ = defaults
        function.__kwdefaults__ = kwdefaults


def run_tests() -> str:
    import pytest
    from django.conf import settings
    from django.db import connections

    for tier in TIERS:
        # pytest-django renamed the database to the test database's name in the session
        # before: give it back its own, or the next session would prefix it again.
        for alias, connection in connections.settings.items():
            connection["NAME"] = _NAMES[alias]
            settings.DATABASES[alias]["NAME"] = _NAMES[alias]
        for connection in connections.all():
            connection.close()
            connection.settings_dict["NAME"] = _NAMES[connection.alias]
        code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--reuse-db", *tier])
        if code == 1:
            return "killed"
        if code != 0:
            return f"error {int(code)}"
    return "survived"


def _unmatched_equivalents(everything: list[Mutant]) -> list[str]:
    keys = {mutant.key for mutant in everything}
    return [key for key in EQUIVALENT if key not in keys]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="List the mutants and stop.")
    parser.add_argument("--only", type=int, action="append", help="Run only these mutants.")
    parser.add_argument(
        "--shard",
        help="I/N: run every N-th of the chosen mutants from the I-th (for parallel runs, "
        "each on its own DATABASE_URL).",
    )
    parser.add_argument(
        "--sample",
        type=int,
        help="Run this many mutants picked at random (seeded: the same ones every time).",
    )
    arguments = parser.parse_args()
    sys.path.insert(0, str(PROJECT))
    everything = mutants()
    unmatched = _unmatched_equivalents(everything)
    if arguments.list:
        for mutant in everything:
            mark = "  (equivalent)" if mutant.key in EQUIVALENT else ""
            print(f"{mutant.number:4} {mutant.path}:{mutant.line}  {mutant.key}{mark}")
        print(f"{len(everything)} mutants, {len(EQUIVALENT) - len(unmatched)} judged equivalent")
        for key in unmatched:
            print(f"EQUIVALENT names no mutant: {key}")
        return
    if unmatched:
        # The code changed under a judgement: judge the mutant again under its new key.
        sys.exit("EQUIVALENT names no mutant:\n  " + "\n  ".join(unmatched))
    chosen = [m for m in everything if not arguments.only or m.number in arguments.only]
    if arguments.sample:
        import random

        chosen = sorted(
            random.Random(7).sample(chosen, min(arguments.sample, len(chosen))),
            key=lambda m: m.number,
        )
    if arguments.shard:
        index, count = (int(part) for part in arguments.shard.split("/"))
        chosen = chosen[index::count]

    os.environ.setdefault("STATEMENT_FIGURE_EXAMPLES", "40")
    os.environ.setdefault("STATEMENT_FIGURE_NO_SHRINK", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import importlib
    import io
    from contextlib import redirect_stdout

    import django

    django.setup()
    from django.conf import settings

    _NAMES.update({alias: db["NAME"] for alias, db in settings.DATABASES.items()})
    baseline = run_tests()
    if baseline != "survived":
        sys.exit(f"The tests must pass before mutating: {baseline}")
    files = {module: (path, functions) for module, path, functions in _modules()}
    results = {}
    started = time.monotonic()
    for mutant in chosen:
        module = importlib.import_module(mutant.module)
        first = next(m.number for m in everything if m.module == mutant.module)
        path, functions = files[mutant.module]
        _places, tree = _scan(path, functions, target=mutant.number - first)
        try:
            saved = _patch(module, tree)
        except Exception as error:  # a mutant that does not even compile counts as killed
            outcome = f"killed ({error.__class__.__name__})"
        else:
            try:
                with redirect_stdout(io.StringIO()):
                    outcome = run_tests()
            finally:
                _restore(saved)
        if outcome == "survived" and mutant.key in EQUIVALENT:
            outcome = "equivalent"
        results[mutant.number] = {**mutant.__dict__, "key": mutant.key, "outcome": outcome}
        print(f"{mutant.number:4} {outcome:10} {mutant.path}:{mutant.line}  {mutant.key}")
        sys.stdout.flush()

    outcomes = [r["outcome"] for r in results.values()]
    killed = sum(o.startswith("killed") for o in outcomes)
    equivalent = outcomes.count("equivalent")
    # A mutant whose tests would not run (an error of pytest itself) is not counted killed.
    counted = len(outcomes) - equivalent
    score = killed / counted * 100 if counted else 100.0
    print(
        f"\n{len(outcomes)} mutants: {equivalent} judged equivalent, {killed} of the "
        f"{counted} others killed. Score {score:.1f} % (at least 90 % required); "
        f"{time.monotonic() - started:.0f} s."
    )
    for result in results.values():
        if result["outcome"] == "survived" or result["outcome"].startswith("error"):
            print(f"  {result['outcome']}: {result['key']}  ({result['path']}:{result['line']})")
    stale = [
        result["key"]
        for result in results.values()
        if result["key"] in EQUIVALENT and result["outcome"].startswith("killed")
    ]
    for key in stale:
        print(f"  judged equivalent but killed (take it out of EQUIVALENT): {key}")
    (
        PROJECT
        / f"mutants{'-' + arguments.shard.replace('/', '-') if arguments.shard else ''}.json"
    ).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    if score < 90:
        sys.exit(f"Score {score:.1f} %: under 90 %.")


if __name__ == "__main__":
    main()
