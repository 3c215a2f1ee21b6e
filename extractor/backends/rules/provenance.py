"""Which source cells each extracted value came from (the parser's own spans)."""

from __future__ import annotations

from dataclasses import dataclass, field

from extractor.layout import Cell


@dataclass
class Provenance:
    """Field path (``funds.total.executed``, ``indicators[3].score``) → source cells; and the values
    the template prints that the contract has no field for (``extra``: 年初目标值, 备注 …)."""

    cells: dict[str, list[Cell]] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    def add(self, path: str, cell: Cell) -> None:
        self.cells.setdefault(path, []).append(cell)

    def extend(self, path: str, cells: list[Cell]) -> None:
        if cells:
            held = self.cells.get(path)
            if held is None:
                self.cells[path] = list(cells)
            else:
                held.extend(cells)

    def spans(self) -> dict[str, list[tuple[int, int]]]:
        return {path: [(c.start, c.end) for c in cells] for path, cells in self.cells.items()}
