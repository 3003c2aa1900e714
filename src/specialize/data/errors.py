"""Errors raised while reading, writing or fetching data; every message ends with how to fix it."""

from __future__ import annotations

from pathlib import Path

from specialize.errors import DataError, DatasetError

__all__ = ["DataFormatError", "DatasetError"]


class DataFormatError(DataError):
    """A file (or record) does not follow the expected format.

    ``str()`` reads ``<path>:<line>: <field>: <reason>; <fix>``; the parts that are unknown are left out,
    so a CLI can print it as is and the user can jump straight to the offending line.
    """

    def __init__(
        self,
        reason: str,
        *,
        fix: str,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        # ``fix`` is keyword-only and required on purpose: an error that does not say what to do next is
        # the thing this class exists to prevent.
        self.reason = reason
        self.fix = fix
        self.path = Path(path) if path is not None else None
        self.line = line
        self.field = field
        super().__init__(self.render_table())

    @property
    def location(self) -> str:
        parts: list[str] = []
        if self.path is not None:
            parts.append(str(self.path))
        if self.line is not None:
            parts.append(str(self.line))
        return ":".join(parts)

    def render_table(self) -> str:
        head = [p for p in (self.location, self.field) if p]
        prefix = ": ".join(head)
        body = f"{self.reason}; {self.fix}"
        return f"{prefix}: {body}" if prefix else body

    def __str__(self) -> str:
        return self.render_table()

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments break the default pickling (multiprocessing data loaders pickle errors).
        return (_rebuild, (self.reason, self.fix, self.path, self.line, self.field))


def _rebuild(reason: str, fix: str, path: Path | None, line: int | None, field: str | None) -> DataFormatError:
    return DataFormatError(reason, fix=fix, path=path, line=line, field=field)
