"""Every port is under contract: each Protocol the jobs see (`automations.ports`, the scheduler's and the
mailer's) has a contract class in this folder, and every contract class is run against at least one adapter.

The convention (pimutils/vdirsyncer's `StorageTests`): the port `RosterStore` has `RosterStoreContract`, a base class
holding the port's promises as test methods and never collected itself (its name does not start with `Test`);
each adapter's test is a subclass, `Test<Adapter>...(RosterStoreContract)`, with a fixture making that adapter
(or naming it: `kind = adapter_kind("csv")`, for the suites whose fixtures build every adapter by `kind`).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Protocol

import automations.ports
import automations.scheduler

PORT_MODULES = (automations.ports, automations.scheduler)


def ports() -> dict[str, type]:
    """Every Protocol class the port modules define or re-export (a `ports/` package re-exporting its
    submodules' names counts the same)."""
    found = {}
    for module in PORT_MODULES:
        for name, value in vars(module).items():
            if (inspect.isclass(value) and value is not Protocol and getattr(value, "_is_protocol", False)
                    and value.__module__.startswith("automations")):
                found[name] = value
    return found


def contracts() -> dict[str, type]:
    """Every `<Port>Contract` class in the test modules of this folder, by port name."""
    found = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        for name, value in vars(module).items():
            if inspect.isclass(value) and name.endswith("Contract") and value.__module__ == module.__name__:
                found[name.removesuffix("Contract")] = value
    return found


def test_the_ports_are_found():
    """The search itself works: the ports named in the issue are among those found."""
    assert {"RosterStore", "CheckinSource", "Mailer", "RunLock", "SchedulerLock", "ForumGroup"} <= set(ports())


def test_every_port_has_a_contract_class():
    missing = sorted(set(ports()) - set(contracts()))
    assert not missing, f"ports without a contract class in tests/contract/: {missing}"


def test_every_contract_is_a_port():
    """A contract named after no port (a port renamed or removed) is noticed, not left to test nothing. A contract
    that refines a port's for some of its adapters (`CursorCheckinSourceContract`: the sources that keep cursors)
    subclasses that port's contract."""
    found, named = contracts(), ports()
    stray = sorted(name for name, c in found.items()
                   if name not in named and not any(issubclass(c, found[p]) for p in named if p in found))
    assert not stray, f"contract classes naming no port: {stray}"


def test_every_contract_runs_against_an_adapter():
    """Each contract class has at least one collected subclass (`Test...`) making an adapter."""
    idle = sorted(name for name, contract in contracts().items()
                  if not any(sub.__name__.startswith("Test") for sub in _subclasses(contract)))
    assert not idle, f"contract classes no adapter's test subclasses: {idle}"


def test_the_contract_bases_are_not_collected_themselves():
    """A base collected on its own would run with no adapter (its fixtures unset)."""
    assert not [name for name, c in contracts().items() if c.__name__.startswith("Test")]


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out
