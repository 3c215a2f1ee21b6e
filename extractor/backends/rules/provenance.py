"""Which source cells each extracted value came from (the parser's own spans)."""

from __future__ import annotations

from dataclasses import dataclass, field

from extractor.layout import Cell

Span = tuple[int, int]


@dataclass
class Provenance:
    """Field path (``funds.total.executed``, ``indicators[3].score``) → the source spans of its cells,
    in reading order; and the values the template prints that the contract has no field for
    (``extra``: 年初目标值, 备注 …)."""

    cells: dict[str, list[Span]] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    def add(self, path: str, cell: Cell) -> None:
        held = self.cells.get(path)
        if held is None:
            self.cells[path] = [(cell.start, cell.end)]
        else:
            held.append((cell.start, cell.end))

    def extend(self, path: str, cells: list[Cell]) -> None:
        if cells:
            spans = [(c.start, c.end) for c in cells]
            held = self.cells.get(path)
            if held is None:
                self.cells[path] = spans
            else:
                held.extend(spans)

    def spans(self) -> dict[str, list[Span]]:
        """Path → spans: the reading's provenance (kept as it was recorded, span by span)."""
        return self.cells
