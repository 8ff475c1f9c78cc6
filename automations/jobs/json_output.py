"""JSON a command prints (`--format json`): valid JSON after the command line's escaping of control characters.

`json.dumps(..., ensure_ascii=False)` escapes C0 control characters itself but leaves DEL, the C1 controls
(U+0080-U+009F) and the Unicode line separators as they are; the command line then prints those as `\\x7f`,
`\\x85`, `\\u2028` (`cli.shown`, so no cell can steer the terminal), and `\\x85` is no JSON escape: a name or a
description holding one made the whole output unreadable to a program. Written here as JSON's own `\\u0085`,
nothing is left for the command line to escape and the output parses back to the same text.
"""

from __future__ import annotations

import json
import re

_RAW = re.compile(r"[\x7f-\x9f\u2028\u2029]")


def json_text(data: object, indent: int | None = 2) -> str:
    """`data` as JSON (non-ASCII text as it is), with no character `cli.shown` would rewrite."""
    return _RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, indent=indent, ensure_ascii=False))
