"""`flagpilot export` and `flagpilot import`: the whole flag state as one JSON document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flagpilot.api.serialisers import import_report_json
from flagpilot.cli.command_support import ActorOption, JsonOption, open_container, resolve_actor
from flagpilot.cli.output import fail, print_json
from flagpilot.services.transfer import export_document, import_document


def export_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of standard output.")
    ] = None,
) -> None:
    """Export every environment, flag, setting, override and rollout as JSON."""
    with open_container() as container:
        document = export_document(container.uow_factory)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"--output: cannot write {output}: {exc.strerror}")
    typer.echo(f"exported {len(document['flags'])} flags to {output}")


def import_command(
    file: Annotated[Path, typer.Argument(help="A document written by `flagpilot export` (- for stdin).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the document, write nothing.")] = False,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a document: everything is checked first, then written in one transaction."""
    try:
        text = typer.get_text_stream("stdin").read() if str(file) == "-" else file.read_text("utf-8")
    except OSError as exc:
        fail(f"FILE: cannot read {file}: {exc.strerror}")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"FILE: {file} is not JSON: {exc}")
    with open_container() as container:
        report = import_document(container.uow_factory, document, actor=resolve_actor(actor), dry_run=dry_run)
    if as_json:
        print_json(import_report_json(report))
        return
    verb = "would import" if dry_run else "imported"
    typer.echo(
        f"{verb} {report.environments} environments, {report.flags} flags, "
        f"{report.customer_overrides} customer and {report.organization_overrides} organization overrides, "
        f"{report.rollouts} rollouts"
    )


def register(app: typer.Typer) -> None:
    """Add `export` and `import` to the root command."""
    app.command("export")(export_command)
    app.command("import")(import_command)
