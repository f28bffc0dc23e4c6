"""The rich consoles the commands print through, and the progress bar of long passes.

On a terminal, rich measures the window. In a pipe or a file there is no window, and rich's
default of 80 columns would wrap a sentence in the middle: there the width is so large that
a line ends only where the text ends (soft wrap, tables as wide as they need).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

# Width in a pipe: no line is cut; a table never needs this much.
PIPE_WIDTH = 1000
# A file this large gets a progress bar on a terminal (about 5,000 rows of a typical list).
LARGE_FILE_BYTES = 256 * 1024
# Rows between two updates of the bar: the bar's own cost stays out of the check's.
_UPDATE_EVERY = 500


def make_console(*, stderr: bool = False, **options: Any) -> Console:
    """A rich console for ``stderr`` or stdout, unwrapped when it is not a terminal."""
    from rich.console import Console

    options.setdefault("highlight", False)
    options.setdefault("soft_wrap", True)
    console = Console(stderr=stderr, **options)
    if not console.is_terminal and "width" not in options:
        console = Console(stderr=stderr, width=PIPE_WIDTH, **options)
    return console


@contextmanager
def file_progress(
    path: Path, position: Callable[[], int], label: str
) -> Iterator[Callable[[], None]]:
    """A step function to call once per row: it moves a progress bar on stderr, measured in
    bytes of ``path`` read (``position()``), when stderr is a terminal and the file is large.
    In a pipe, or for a small file, the step does nothing and nothing is printed."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    console = make_console(stderr=True)
    if size < LARGE_FILE_BYTES or not console.is_terminal:
        yield lambda: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=size)
        count = 0

        def step() -> None:
            nonlocal count
            count += 1
            if count % _UPDATE_EVERY == 0:
                bar.update(task, completed=position())

        yield step
        bar.update(task, completed=size)


__all__ = ["LARGE_FILE_BYTES", "PIPE_WIDTH", "file_progress", "make_console"]
