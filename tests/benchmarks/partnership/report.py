"""The benchmark's table and verdicts: a page is over budget when its p95 is over its
budget (50 ms unless it has its own), when its LARGE p95 is more than 1.5 times its
SMALL p95 (per record listed, for a page that must list every record of something), or
when it sends more statements at LARGE than at SMALL. A part's rows (throughput,
concurrency) are judged by the targets the part names instead."""

import json
import platform
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks.partnership.measure import Row

MAX_RATIO = 1.5


@dataclass
class Line:
    backend: str
    name: str
    account: str
    small: Row | None
    large: Row | None

    @property
    def ratio(self) -> float | None:
        """LARGE's p95 over SMALL's; per record listed where the page lists every record."""
        if not (self.small and self.large and self.small.p95_ms > 0):
            return None
        if self.small.records and self.large.records:
            return (self.large.p95_ms / self.large.records) / (self.small.p95_ms / self.small.records)
        return self.large.p95_ms / self.small.p95_ms

    def problems(self) -> list[str]:
        found = []
        for row in (self.small, self.large):
            if row and row.budget_ms and row.p95_ms > row.budget_ms:
                found.append(f"{row.size} p95 over {row.budget_ms:,.0f} ms")
            if row and row.missed:
                found.append(f"{row.size}: {row.missed}")
        judged = all(row.judge_ratio for row in (self.small, self.large) if row)
        if judged and self.ratio is not None and self.ratio > MAX_RATIO:
            found.append(f"ratio over {MAX_RATIO}")
        if self.small and self.large and (self.large.statements or 0) > (self.small.statements or 0):
            found.append("statements grow")
        return found


def lines(rows: list[Row]) -> list[Line]:
    grouped: dict[tuple[str, str], Line] = {}
    for row in rows:
        line = grouped.setdefault((row.backend, row.name), Line(row.backend, row.name, row.account, None, None))
        setattr(line, row.size, row)
    return list(grouped.values())


def _figures(row: Row | None) -> str:
    return f"{row.p50_ms:,.1f} / {row.p95_ms:,.1f}" if row else "-"


def _statements(line: Line) -> str:
    counts = [row.statements for row in (line.small, line.large) if row and row.statements is not None]
    return " / ".join(str(count) for count in counts) or "-"


def table(rows: list[Row]) -> str:
    """A Markdown table, to paste into docs/performance.md."""
    out = [
        "| Backend | Page | Account | SMALL p50 / p95 ms | LARGE p50 / p95 ms | Statements S / L | Ratio | Verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for line in lines(rows):
        ratio = f"{line.ratio:.2f}" if line.ratio is not None else "-"
        verdict = "; ".join(line.problems()) or "ok"
        out.append(
            f"| {line.backend} | {line.name} | {line.account} | {_figures(line.small)} | {_figures(line.large)} "
            f"| {_statements(line)} | {ratio} | {verdict} |"
        )
    notes = [f"- {row.backend}, {row.size}, {row.name}: {row.note}" for row in rows if row.note]
    notes += [
        f"- {row.backend}, {row.size}, {row.name}: {row.records:,} records listed; its ratio is per record"
        for row in rows
        if row.records
    ]
    return "\n".join(out + ([""] + notes if notes else []))


def over_budget(rows: list[Row]) -> list[Line]:
    return [line for line in lines(rows) if line.problems()]


def machine() -> dict[str, object]:
    import os

    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def write_json(path: Path, rows: list[Row], context: dict[str, object]) -> None:
    document = {
        **context,
        "machine": machine(),
        "rows": [row.as_dict() for row in rows],
        "over_budget": [
            {"backend": line.backend, "name": line.name, "problems": line.problems()} for line in over_budget(rows)
        ],
    }
    path.write_text(json.dumps(document, indent=1))
