"""The checks every configuration section shares, written once: a section's base (`Strict`: unknown
keys refused, values frozen), an email address (`Address`), the name of an environment variable
(`env_name`: never the secret itself), an IANA time zone (`Zone`, `ZoneOrEmpty`), and `default_of`,
which gives a key the default its domain setting has (so that default is written once)."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict

from ..mail.message import valid_address


class Strict(BaseModel):
    """A section of the configuration: a key it does not know is an error, and nothing changes it once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _address(value: str) -> str:
    """An address the mail can go to or come from: the check every recipient passes (`valid_address`)."""
    if not valid_address(value):
        raise ValueError(f"{value!r} is not an email address (one @ with a name before it and a domain with a dot "
                         f"after it, no spaces or control characters)")
    return value


#: An email address in the configuration, checked when it loads (not when the first message fails).
Address = Annotated[str, AfterValidator(_address)]


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_var_name(value: str, example: str, required: bool = True) -> str:
    """A setting that names an environment variable: the name, never the secret itself. The value is not
    repeated in the message: a secret pasted there must not reach a log."""
    if (value or required) and not _ENV_NAME.match(value):
        raise ValueError(f"must be the NAME of an environment variable (like {example}), never the secret itself")
    return value


def env_name(example: str, required: bool = True) -> AfterValidator:
    """The check of a key naming an environment variable (`Annotated[str, env_name("AIRTABLE_TOKEN")]`): what
    `env_var_name` says, the message giving `example`; `required=False` lets the key be empty (not used)."""
    return AfterValidator(lambda value: env_var_name(value, example, required))


def known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{value}' is not a known IANA time zone (e.g. Europe/London)") from None
    return value


#: An IANA time zone ("Europe/London").
Zone = Annotated[str, AfterValidator(known_zone)]
#: An IANA time zone, or empty for another key's (e.g. program.timezone).
ZoneOrEmpty = Annotated[str, AfterValidator(lambda value: known_zone(value) if value else value)]


def default_of(setting: type, name: str) -> Any:
    """The default of the field `name` of the domain's setting dataclass `setting` (a fresh one for a field
    made by a factory): a configuration key whose value becomes that field takes its default from here."""
    field = next(f for f in dataclasses.fields(setting) if f.name == name)
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    raise LookupError(f"{setting.__name__}.{name} has no default")
