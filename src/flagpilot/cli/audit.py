"""`flagpilot audit [--flag] [--actor] [--since] [--json]` and `flagpilot audit verify`."""

from __future__ import annotations

from typing import Annotated

import typer

from flagpilot.api.serialisers import chain_report_json
from flagpilot.cli.command_support import JsonOption, open_container, parse_since
from flagpilot.cli.output import print_json, print_table
from flagpilot.services.audit import audit_record_dict

audit_app = typer.Typer(help="Read and verify the audit trail.", invoke_without_command=True)


@audit_app.callback()
def audit_command(
    ctx: typer.Context,
    flag: Annotated[str | None, typer.Option("--flag", help="Only changes of this flag.")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Only changes by this actor.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="ISO 8601 time or an age: 30m, 12h, 7d.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="ISO 8601 time or an age: 30m, 12h, 7d.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many rows.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List audit rows, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    start = None if since is None else parse_since(since)
    end = None if until is None else parse_since(until, "--until")
    with open_container() as container:
        records = container.audit_log.query(
            feature_name=flag, actor=actor, since=start, until=end, limit=limit
        )
        names = {token.token_id: token.name for token in container.tokens.list()}
    rows = [audit_record_dict(record, names) for record in records]
    if as_json:
        print_json(rows)
        return
    print_table(
        ["ID", "WHEN (UTC)", "ACTOR", "ACTION", "FLAG", "ENV", "SUBJECT", "REASON"],
        [
            [
                r.id,
                r.changed_at.strftime("%Y-%m-%d %H:%M:%S"),
                r.actor if row["actorName"] is None else f"{r.actor} ({row['actorName']})",
                r.action,
                r.feature_name or "",
                r.environment or "",
                r.subject_id or "",
                r.reason,
            ]
            for r, row in zip(records, rows, strict=True)
        ],
    )


@audit_app.command("verify")
def verify_command(as_json: JsonOption = False) -> None:
    """Check the hash chain of the whole trail; exit 1 naming the first broken row."""
    with open_container() as container:
        report = container.audit_log.verify()
    if as_json:
        print_json(chain_report_json(report))
    elif report.ok:
        typer.echo(f"audit trail intact: {report.checked} rows verified ({report.sealed} newly sealed)")
    else:
        typer.echo(f"audit trail broken at row {report.broken_id}: {report.problem}", err=True)
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the `audit` group to the root command."""
    app.add_typer(audit_app, name="audit")
