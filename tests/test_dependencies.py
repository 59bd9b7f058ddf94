"""Installs are reproducible: every package the code imports is declared with an upper bound
on its major version, and requirements.lock pins each one with hashes."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
FIRST_PARTY = {"config", "missions", "observers", "stations", "reports", "accounts", "audit"}
FIRST_PARTY |= {"tests", "bench"}


def declared() -> list[Requirement]:
    requirements = [Requirement(line) for line in PROJECT["dependencies"]]
    for extra in PROJECT["optional-dependencies"].values():
        requirements += [Requirement(line) for line in extra]
    return requirements


def imported_modules() -> set[str]:
    modules = set()
    for folder in sorted(FIRST_PARTY):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules.add(node.module.split(".")[0])
    return modules - FIRST_PARTY - set(sys.stdlib_module_names)


def test_every_imported_package_is_declared():
    names = {canonicalize_name(r.name) for r in declared()}
    distributions = packages_distributions()
    undeclared = {
        module: distributions.get(module)
        for module in imported_modules()
        if not {canonicalize_name(d) for d in distributions.get(module, [module])} & names
    }

    assert undeclared == {}


def test_every_declared_package_has_an_upper_bound():
    unbounded = [
        str(r)
        for r in declared()
        if not any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier)
    ]

    assert unbounded == []


def test_the_lock_pins_every_declared_package_with_hashes():
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pins = {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", lock, re.M)
    }
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.strip())

    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), requirement
    assert all("--hash=sha256:" in block for block in blocks if "==" in block.split("\n")[0])
