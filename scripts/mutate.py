"""Mutation testing of the statement figures: would the tests notice a wrong figure?

Makes one small change at a time ("a mutant") to the findings (reports/findings.py) and to the
composer's figure code (the functions of reports/composer.py named in TARGETS), runs the tests
that guard figures, and counts the mutants they kill (a test fails). A mutant that survives is
either a gap in the tests or equivalent (it changes nothing a reader could see); EQUIVALENT
lists those judged so, with why.

Changes made: comparisons turned around (== and !=, < and <=, in and not in, ...), `and` and
`or` swapped, a `not` dropped, True and False swapped, a number made one larger, an argument
of a query's filter dropped (another mission's visits counted, unreviewed visits counted), a
set made a list (visits counted as stations), `&` and `|` swapped, `+` and `-` swapped, a
`continue` dropped, a condition made always true or always false.

    DATABASE_URL=postgres://... .venv/bin/python scripts/mutate.py           # all mutants
    .venv/bin/python scripts/mutate.py --list                                # what would run
    .venv/bin/python scripts/mutate.py --only 12 --only 40                   # some of them

The mutants run in one process: each mutant's functions take the place of the originals'
code (so every module that imported them runs the mutant) and the tests run with pytest in
that process, the property test first (most mutants die there in seconds), the slower tests
only for a mutant that survives it. The files are never changed. Results go to stdout and to
mutants.json.
"""

import argparse
import ast
import copy
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

# File → the functions (and methods) mutated; None for every function of the file.
TARGETS: dict[str, set[str] | None] = {
    "reports/findings.py": None,
    "reports/composer.py": {
        "assessment_paragraphs",
        "grave_paragraph",
        "complaints_paragraph",
        "review_note",
        "coverage_paragraph",
        "phases_paragraph",
        "incident_paragraphs",
        "turnout_paragraph",
        "figure",
    },
}
# Mutants judged equivalent: "file:line:description" → why.
EQUIVALENT: dict[str, str] = {
    "reports/findings.py:163:set(...) → list(...)": "a membership test: a list answers the same",
    "reports/findings.py:164:set(...) → list(...)": "a membership test: a list answers the same",
    "reports/findings.py:229:drop mission= from .filter()": (
        "the checklists are only looked up by the ids of this mission's visits"
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


@dataclass
class Mutant:
    number: int
    path: str
    line: int
    description: str

    @property
    def key(self) -> str:
        return f"{self.path}:{self.line}:{self.description}"


class _Mutator(ast.NodeTransformer):
    """Walks a module; counts every place a mutation applies; applies the `target`-th."""

    def __init__(self, functions: set[str] | None, target: int | None = None):
        self.functions = functions
        self.target = target
        self.found: list[tuple[int, str]] = []
        self._inside = 0

    # -- scope: only inside the chosen functions -------------------------------------------
    def _function(self, node):
        chosen = self.functions is None or node.name in self.functions
        self._inside += chosen
        node = self.generic_visit(node)
        self._inside -= chosen
        return node

    visit_FunctionDef = _function

    def _candidate(self, node, description: str) -> bool:
        """Record a place; tell whether it is the one to mutate."""
        if not self._inside:
            return False
        self.found.append((getattr(node, "lineno", 0), description))
        return len(self.found) - 1 == self.target

    # -- mutations ---------------------------------------------------------------------------
    def visit_Compare(self, node):
        self.generic_visit(node)
        for index, op in enumerate(node.ops):
            swap = COMPARE_SWAPS.get(type(op))
            if swap and self._candidate(
                node, f"{type(op).__name__} → {swap.__name__} (operator {index + 1})"
            ):
                node.ops[index] = swap()
        return node

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        swap = ast.Or if isinstance(node.op, ast.And) else ast.And
        if self._candidate(node, f"{type(node.op).__name__} → {swap.__name__}"):
            node.op = swap()
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and self._candidate(node, "drop `not`"):
            return node.operand
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        swap = BINOP_SWAPS.get(type(node.op))
        if swap and self._candidate(node, f"{type(node.op).__name__} → {swap.__name__}"):
            node.op = swap()
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        swap = BINOP_SWAPS.get(type(node.op))
        if swap and self._candidate(node, f"augmented {type(node.op).__name__} → {swap.__name__}"):
            node.op = swap()
        return node

    def visit_Constant(self, node):
        if isinstance(node.value, bool):
            if self._candidate(node, f"{node.value} → {not node.value}"):
                return ast.copy_location(ast.Constant(not node.value), node)
        elif isinstance(node.value, int) and self._candidate(
            node, f"{node.value} → {node.value + 1}"
        ):
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node

    def visit_Continue(self, node):
        if self._candidate(node, "drop `continue`"):
            return ast.copy_location(ast.Pass(), node)
        return node

    def visit_If(self, node):
        self.generic_visit(node)
        for value in (True, False):
            if self._candidate(node, f"`if` condition → {value}"):
                node.test = ast.copy_location(ast.Constant(value), node.test)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in QUERY_METHODS:
            for keyword in list(node.keywords):
                if keyword.arg and self._candidate(
                    node, f"drop {keyword.arg}= from .{func.attr}()"
                ):
                    node.keywords = [k for k in node.keywords if k is not keyword]
        if (
            isinstance(func, ast.Name)
            and func.id == "set"
            and node.args
            and self._candidate(node, "set(...) → list(...)")
        ):
            node.func = ast.copy_location(ast.Name("list", ast.Load()), func)
        return node


def _scan(path: str, functions, target=None) -> tuple[list[tuple[int, str]], ast.Module]:
    tree = ast.parse((PROJECT / path).read_text())
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
        if isinstance(node, ast.AnnAssign) and node.value is None:
            pass
    mutator = _Mutator(functions, target)
    mutated = mutator.visit(copy.deepcopy(tree))
    ast.fix_missing_locations(mutated)
    return mutator.found, mutated


def mutants() -> list[Mutant]:
    found = []
    for path, functions in TARGETS.items():
        places, _tree = _scan(path, functions)
        for line, description in places:
            found.append(Mutant(len(found), path, line, description))
    return found


# The tests in tiers: the property test kills most mutants in seconds; the rest run only for
# a mutant that survives it.
TIERS = [
    ["tests/test_statement_figures.py"],
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
            yield name, value


def _patch(module, tree: ast.Module) -> dict:
    """Give the module's functions the mutant's code in place (every reference to them, e.g.
    `from reports.findings import findings_compute` elsewhere, runs the mutant); return
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
    everything = mutants()
    if arguments.list:
        for mutant in everything:
            print(f"{mutant.number:4} {mutant.path}:{mutant.line}  {mutant.description}")
        print(f"{len(everything)} mutants")
        return
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
    sys.path.insert(0, str(PROJECT))
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
    results = {}
    started = time.monotonic()
    for mutant in chosen:
        module = importlib.import_module(mutant.path.removesuffix(".py").replace("/", "."))
        first = next(m.number for m in everything if m.path == mutant.path)
        _places, tree = _scan(mutant.path, TARGETS[mutant.path], target=mutant.number - first)
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
        results[mutant.number] = {**mutant.__dict__, "outcome": outcome}
        print(f"{mutant.number:4} {outcome:10} {mutant.path}:{mutant.line}  {mutant.description}")
        sys.stdout.flush()

    outcomes = [r["outcome"] for r in results.values()]
    killed = sum(o.startswith("killed") for o in outcomes)
    equivalent = outcomes.count("equivalent")
    errors = [r for r in results.values() if r["outcome"].startswith("error")]
    counted = len(outcomes) - equivalent - len(errors)
    score = killed / counted * 100 if counted else 100.0
    print(
        f"\n{killed} of {counted} non-equivalent mutants killed ({score:.0f} %); "
        f"{equivalent} judged equivalent; {len(errors)} would not run; "
        f"{time.monotonic() - started:.0f} s."
    )
    for result in results.values():
        if result["outcome"] == "survived":
            print(f"  survived: {result['path']}:{result['line']}  {result['description']}")
    (
        PROJECT
        / f"mutants{'-' + arguments.shard.replace('/', '-') if arguments.shard else ''}.json"
    ).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    if score < 90:
        sys.exit(1)


if __name__ == "__main__":
    main()
