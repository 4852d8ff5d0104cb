"""CSV files for the imports: the header is checked against the columns an import knows before any row is read.

A column the import does not know is refused rather than ignored: a misspelt `phone` for `phones` would
otherwise import every resident without a phone, and nothing would say so.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from pingan.core.errors import BadInput


@dataclass(frozen=True, slots=True)
class CsvColumns:
    """The columns an import reads, in the order it documents them, and which of them a file must have."""

    names: tuple[str, ...]
    required: frozenset[str]

    @classmethod
    def of(cls, model: type[BaseModel]) -> CsvColumns:
        """The columns of a row model: its fields in declared order, required where the field has no default."""
        fields = model.model_fields
        return cls(tuple(fields), frozenset(name for name, f in fields.items() if f.is_required()))

    def check(self, header: Sequence[str] | None) -> None:
        """Raise `BadInput` naming the unknown, repeated and missing columns of `header`, and the expected ones.

        Names are compared without surrounding spaces; blank header cells (a trailing comma) are no column.
        """
        if header is None:
            raise BadInput(f"the file is empty: expected a header row ({self._expected()})")
        names = [name.strip() for name in header if name.strip()]
        problems: list[str] = []
        field: str | None = None
        unknown = [name for name in dict.fromkeys(names) if name not in self.names]
        if unknown:
            problems.append(f"unknown {_columns(unknown)}")
            field = unknown[0]
        repeated = [name for name, n in Counter(names).items() if n > 1]
        if repeated:
            problems.append(f"repeated {_columns(repeated)}")
            field = field or repeated[0]
        missing = [name for name in self.names if name in self.required and name not in names]
        if missing:
            problems.append(f"missing {_columns(missing)}")
            field = field or missing[0]
        if problems:
            raise BadInput(f"{'; '.join(problems)} ({self._expected()})", field=field)

    def _expected(self) -> str:
        required = [name for name in self.names if name in self.required]
        return f"the columns are {', '.join(self.names)}; required: {', '.join(required)}"


def _columns(names: Sequence[str]) -> str:
    quoted = ", ".join(f"'{name}'" for name in names)
    return f"column {quoted}" if len(names) == 1 else f"columns {quoted}"


def read_csv(path: Path, columns: CsvColumns) -> Iterator[tuple[int, dict[str, str | None]]]:
    """The rows of a UTF-8 CSV file (a BOM is allowed) as (line number, column → value).

    The file is checked when this is called, before any row is read: `BadInput` if it is not UTF-8 or its
    header does not fit `columns`. A value missing at the end of a short row is None; cells beyond the
    header are dropped.
    """
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                # Excel on a Chinese system saves "CSV" in GBK unless told "CSV UTF-8".
                raise BadInput(f"line {number} is not UTF-8 text: save the file as CSV UTF-8") from None
    with path.open(encoding="utf-8-sig", newline="") as fh:
        columns.check(next(csv.reader(fh), None))
    return _rows(path)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str | None]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            # Physical lines, so that a row after a blank line keeps its number (a quoted line break: its last line).
            yield reader.line_num, {key.strip(): value for key, value in row.items() if key and key.strip()}
