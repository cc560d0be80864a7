"""How the CLI prints: JSON for scripts, aligned text for people, errors on stderr."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NoReturn

import typer


def print_json(data: Any) -> None:
    """Print `data` as indented JSON on stdout."""
    typer.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows as a plain aligned table."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            typer.echo("  ".join("-" * width for width in widths))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error naming what was wrong and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
