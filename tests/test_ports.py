"""`automations/ports/` holds the ports and nothing technological: read as source (ast), every module
imports only the standard library's typing helpers, the domain and the other ports (never an adapter
or a client library), defines only Protocols, frozen values (dataclasses) and the failures a port
names, says in its docstring which concern it holds, and stays under 400 lines; the package
re-exports every name, so `from automations.ports import X` finds each port whichever module holds it."""

from __future__ import annotations

import ast
from pathlib import Path

from automations import ports

PORTS = Path(ports.__file__).parent
MODULES = sorted(p for p in PORTS.glob("*.py") if p.name != "__init__.py")
#: What a port module may import: typing helpers (the abstract collections and context manager included), the
#: domain's values, the composed message, other ports.
STANDARD = ("__future__", "collections.abc", "contextlib", "dataclasses", "datetime", "typing")
#: Technology a port must never import (the adapters and the libraries behind them).
FORBIDDEN = ("automations.adapters", "..adapters", "requests", "pyairtable", "gspread", "googleapiclient", "google",
             "smtplib", "sqlite3", "fpdf", "jinja2", "yaml", "pydantic", "schedule", "httplib2", "ssl", "socket")
#: Module-level names besides classes: the forum port's batch bound (what a call to it may carry, which the job
#: batches by), the scheduler's lock (the run lock), and `read_all` (`read_new` for a source that cannot tell).
OTHER_NAMES = {"FORUM_BATCH", "SchedulerLock", "read_all", "_and"}


def _imports(tree: ast.Module) -> list[str]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            out.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
    return out


def test_the_ports_import_no_technology():
    assert MODULES, "no module under automations/ports"
    for path in MODULES:
        for name in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"
            sibling = name.startswith(".") and not name.startswith("..")
            assert name in STANDARD or name.startswith("..domain.") or name == "..mail.message" or sibling, \
                f"{path.name} imports {name}, which is not a typing helper, the domain or a port"


def _is_dataclass(node: ast.ClassDef) -> bool:
    return any((d.func if isinstance(d, ast.Call) else d).id == "dataclass" for d in node.decorator_list
               if isinstance(d.func if isinstance(d, ast.Call) else d, ast.Name))


def test_the_ports_define_only_protocols_values_and_failures():
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                assert "Protocol" in bases or _is_dataclass(node) or "Exception" in bases, \
                    f"{path.name}: {node.name} is neither a Protocol, a dataclass nor a failure"
            elif isinstance(node, ast.FunctionDef):
                assert node.name in OTHER_NAMES, f"{path.name}: the function {node.name} is no port"
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                assert isinstance(target, ast.Name) and target.id in OTHER_NAMES, \
                    f"{path.name}: the module-level {ast.unparse(target)} is no port (a service's limit belongs " \
                    f"to its adapter)"
            else:
                assert isinstance(node, (ast.Import, ast.ImportFrom)) or \
                    (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)), \
                    f"{path.name}: line {node.lineno} is neither an import nor a definition"


def test_each_port_module_says_its_concern_and_stays_small():
    for path in [*MODULES, PORTS / "__init__.py"]:
        text = path.read_text(encoding="utf-8")
        assert ast.get_docstring(ast.parse(text)), f"{path.name} has no docstring"
        assert text.count("\n") < 400, f"{path.name} has {text.count(chr(10))} lines"


def test_the_package_reexports_every_port():
    defined = set()
    for path in MODULES:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                defined.add(node.name)
            elif isinstance(node, ast.Assign):
                defined.update(t.id for t in node.targets if isinstance(t, ast.Name))
    public = {name for name in defined if not name.startswith("_")}
    assert public == set(ports.__all__)
    assert all(hasattr(ports, name) for name in public)
    assert "WRITE_BATCH" not in public  # Airtable's limit: adapters/airtable_client.py holds it
