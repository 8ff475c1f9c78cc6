"""The modes of the files and folders the program writes: private by default, whatever the umask.

Every file the program creates is 0600 and every folder 0700 (`privacy.group_readable: true`: 0640 and
0750, for a staff group that shares the machine). `apply` sets the process umask to match at start-up
(`bootstrap.load_config`), so every writer (CSV tables, outbox, reports, PDFs, SQLite and its -wal and
-journal files, locks, the scheduler's state) creates its files so, and `atomic_files` chmods the
temporary file of every atomic write explicitly. The conduct register and exports are always 0600
(they hold conduct entries): `PRIVATE_FILE`.

A file that already exists keeps its mode when the program rewrites it (a roster staff made and share
with their group stays as they set it), but for the always-private ones, which are narrowed to 0600.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
GROUP_FILE = 0o640
GROUP_DIR = 0o750

_group_readable = False


def apply(group_readable: bool = False) -> None:
    """Make this process create files and folders with the program's modes (its umask), from now on."""
    global _group_readable
    _group_readable = group_readable
    os.umask(0o027 if group_readable else 0o077)


def file_mode() -> int:
    """The mode of a file the program creates."""
    return GROUP_FILE if _group_readable else PRIVATE_FILE


def dir_mode() -> int:
    """The mode of a folder the program creates."""
    return GROUP_DIR if _group_readable else PRIVATE_DIR


def make_dirs(path: Path) -> None:
    """`path` and its missing parents, each new one with the program's folder mode (umask-free)."""
    missing = []
    p = Path(path)
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, dir_mode())
        except FileExistsError:
            continue
        os.chmod(folder, dir_mode())
