"""The functional core: program rules as pure functions over frozen dataclasses."""
