"""The installable package: `pip install .` gives an `automations` command that runs from any folder, and the
requirements are split into what running needs (requirements.txt, the package's dependencies) and what only the
tests and benchmarks use (requirements-test.txt).

The package is installed for real, with pip and the setuptools build backend named in pyproject.toml, into a
virtual environment of its own in a scratch folder. The environment sees this machine's packages
(`--system-site-packages`), so the runtime requirements are not fetched again, and it is built without build
isolation (`--no-build-isolation --no-index`, the backend pinned in requirements-test.txt): nothing leaves the
machine. The project's source is copied first, so the build's own folders are not left in the project.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from importlib.metadata import distribution, packages_distributions
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_example

AS_OF = "2026-10-19"
#: Local code, never a requirement.
OWN = {"automations", "tests", "bench"}
#: What only the tests and benchmarks use: never installed with the package.
TEST_ONLY = {"pytest", "pytest-xdist", "hypothesis", "aiosmtpd", "werkzeug", "pypdf", "pypdfium2",
             "time-machine", "setuptools"}


def canonical(name: str) -> str:
    """A distribution's name as packaging compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(path: Path) -> set[str]:
    """The distributions a requirements file names, following its `-r` lines."""
    names: set[str] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r"):
            names |= requirements(path.parent / line[2:].strip())
            continue
        names.add(canonical(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line).group(0)))
    return names


def imported_modules(folder: Path) -> dict[str, Path]:
    """Every absolute module name the Python files under `folder` import (or find by name with
    `importlib.util.find_spec`, directly or through the certificate renderer's `_package_file`), with one file
    that does."""
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
                  in ("find_spec", "_package_file", "import_module")
                  and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                names = [node.args[0].value]
            else:
                continue
            for name in names:
                if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] not in OWN:
                    found.setdefault(name, path)
    return found


@cache
def _top_level() -> dict[str, list[str]]:
    return packages_distributions()


@cache
def _files(dist: str) -> tuple[str, ...]:
    return tuple(f.as_posix() for f in distribution(dist).files or ())


@cache
def distribution_of(module: str) -> str:
    """The installed distribution that provides `module` (for a namespace shared by several, such as `google`,
    the one holding the module's own files)."""
    candidates = _top_level().get(module.split(".")[0], [])
    parts = module.split(".")
    while len(candidates) > 1 and len(parts) > 1:
        prefix = "/".join(parts)
        holding = [d for d in candidates
                   if any(f.startswith(prefix + "/") or f == prefix + ".py" for f in _files(d))]
        if holding:
            candidates = holding
            break
        parts = parts[:-1]
    assert len(candidates) == 1, f"{module} is provided by {candidates or 'no installed distribution'}"
    return canonical(candidates[0])


# -- the requirements ---------------------------------------------------------------------------------------------

def test_every_module_the_package_imports_is_a_runtime_requirement():
    runtime = requirements(ROOT / "requirements.txt")
    missing = {f"{module} ({distribution_of(module)}, in {path.relative_to(ROOT)})"
               for module, path in imported_modules(ROOT / "automations").items()
               if distribution_of(module) not in runtime}
    assert not missing, f"imported by the package but not in requirements.txt: {sorted(missing)}"
    # the modules found by name are seen too (the certificate fonts' packages)
    assert "noto_cjk_sans_otc" in imported_modules(ROOT / "automations")


def test_requirements_txt_holds_no_test_only_tool():
    runtime = requirements(ROOT / "requirements.txt")
    assert not runtime & TEST_ONLY, sorted(runtime & TEST_ONLY)
    tests = requirements(ROOT / "requirements-test.txt")
    assert tests >= TEST_ONLY and runtime <= tests, "requirements-test.txt starts with -r requirements.txt"


def test_every_module_the_tests_and_benchmarks_import_is_a_test_requirement():
    wanted = requirements(ROOT / "requirements-test.txt")
    modules = {**imported_modules(ROOT / "tests"), **imported_modules(ROOT / "bench")}
    missing = {f"{module} ({distribution_of(module)}, in {path.relative_to(ROOT)})"
               for module, path in modules.items() if distribution_of(module) not in wanted}
    assert not missing, f"imported by the tests but not in requirements-test.txt: {sorted(missing)}"
    assert {"pytest", "hypothesis", "aiosmtpd"} <= {distribution_of(m) for m in modules}


def test_the_package_depends_on_requirements_txt_pin_for_pin():
    """pyproject.toml reads its dependencies from requirements.txt: one list of pins, nothing to drift."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^dependencies = \{file = \["requirements.txt"\]\}$', pyproject, re.M)
    assert re.search(r'^dynamic = \[.*"dependencies".*\]$', pyproject, re.M)


# -- the installed command ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the package installed by pip from a copy of the source; its bin folder."""
    base = tmp_path_factory.mktemp("package")
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "requirements.txt", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "automations", source / "automations", ignore=shutil.ignore_patterns("__pycache__"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    # --ignore-installed: a copy already installed on the machine (CI's `pip install .`) is not taken for this one
    pip = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                          "--no-index", "--ignore-installed", str(source)],
                         capture_output=True, text=True, cwd=base, env=_env(), timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return venv / "bin"


def _env() -> dict[str, str]:
    """This environment without a PYTHONPATH, so only the installed package can be imported."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=_env(), timeout=120)


def test_the_installed_command_runs_run_all_from_another_folder(installed, tmp_path):
    config = copy_example(tmp_path / "program")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    res = _run([str(installed / "automations"), "--config", str(config), "--as-of", AS_OF, "run-all"], elsewhere)
    assert res.returncode == 0, res.stdout + res.stderr
    program = config.parent
    # the outbox, the jobs' state and the day's messages went to the program's folders, from its config file
    assert (program / "outbox" / "index.html").is_file()
    messages = sorted((program / "outbox").rglob("*.eml"))
    assert messages and all(m.relative_to(program).parts[:2] == ("outbox", AS_OF) for m in messages)
    assert (program / "data" / "activities.csv").is_file() and (program / "data" / "checkins.csv").is_file()
    assert "2026Q3" in res.stdout
    assert list(elsewhere.iterdir()) == [], "nothing is written to the folder the command runs in"
    again = _run([str(installed / "automations"), "--config", str(config), "--as-of", AS_OF, "run-all"], elsewhere)
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted((program / "outbox").rglob("*.eml")) == messages, "nothing sent twice"


def test_the_installed_command_lists_the_commands(installed, tmp_path):
    res = _run([str(installed / "automations"), "--help"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("Usage: automations [OPTIONS] COMMAND [ARGS]...")
    listed = res.stdout.split("Commands:", 1)[1]
    for command in ("run-all", "sync-checkins", "compliance", "doctor", "schedule", "export", "erase", "init"):
        assert re.search(rf"^\s+{command}\s", listed, re.M), command
    # it is the installed copy that ran, not the project's folder
    where = _run([str(installed / "python"), "-c", "import automations; print(automations.__file__)"], tmp_path)
    package = Path(where.stdout.strip()).parent
    assert package.is_relative_to(installed.parent), where.stdout + where.stderr
    # and it holds every file of the package, whatever it is (a template or data file added to automations/ one
    # day is installed too, or this says which)
    assert _files_in(package) == _files_in(ROOT / "automations")


def _files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_python_m_automations_from_the_project_folder_still_names_itself():
    res = _run([sys.executable, "-m", "automations", "--help"], ROOT)
    assert res.returncode == 0 and res.stdout.startswith("Usage: python -m automations [OPTIONS] COMMAND"), res.stderr


def test_the_readme_and_ci_install_the_package_and_the_test_requirements():
    """The README's two set-up commands and `.ci/run` install the same things: the package (with what running
    needs), then what the tests use."""
    first = (ROOT / "README.md").read_text(encoding="utf-8").split("## ", 1)[0]
    run_all, tests = [b.split("\n", 1)[1].strip() for b in first.split("```sh")[1:]]
    assert run_all.split("\n")[0] == f"pip install . && python -m automations --as-of {AS_OF} run-all"
    assert tests.split("\n")[0] == "pip install -r requirements-test.txt && python -m pytest -q"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^python3 -m pip install .*-r requirements-test\.txt$", ci, re.M)
    assert re.search(r"^python3 -m pip install .* \.$", ci, re.M)
    assert re.search(r"^python3 -m pytest -q$", ci, re.M)
    lines = [line for line in (ROOT / "requirements-test.txt").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[0] == "-r requirements.txt"
