"""Rich progress bars with the rates operators ask for: files/s and MB/s."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RatesColumn(ProgressColumn):
    """Items per second and megabytes per second (from the task's `bytes` field)."""

    def __init__(self, unit: str = "files") -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if elapsed <= 0:
            return Text(f"- {self.unit}/s", style="progress.data.speed")
        items = task.completed / elapsed
        rate = f"{items:.1f} {self.unit}/s"
        if task.fields.get("bytes"):
            rate += f"  {task.fields['bytes'] / elapsed / 1e6:.1f} MB/s"
        return Text(rate, style="progress.data.speed")


def progress_bar(unit: str = "files", *, transient: bool = False) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RatesColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=transient,
    )
