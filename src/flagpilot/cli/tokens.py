"""`flagpilot token create|list|revoke`: API tokens, straight in the database.

The first admin token of a fresh installation has to come from somewhere other than the API;
this is that place (or `FLAGPILOT_BOOTSTRAP_ADMIN_TOKEN`). A secret is printed once, at
creation; only its hash is stored. Creation and revocation are audited under `--actor`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from flagpilot.cli.command_support import ActorOption, JsonOption, open_container, resolve_actor
from flagpilot.cli.output import print_json, print_table
from flagpilot.services.auth import TokenKind
from flagpilot.services.tokens import TokenInfo

token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


def token_dict(token: TokenInfo) -> dict[str, Any]:
    """A token without its secret, as `--json` prints it: the HTTP API's field names."""
    return {
        "tokenId": token.token_id,
        "kind": token.kind.value,
        "name": token.name,
        "organizationId": token.organization_id,
        "environment": token.environment,
        "createdAt": token.created_at.isoformat(),
        "createdBy": token.created_by,
        "revokedAt": None if token.revoked_at is None else token.revoked_at.isoformat(),
        "hint": token.hint,
    }


@token_app.command("create")
def create_command(
    kind: Annotated[TokenKind, typer.Option("--kind", help="What the token may do.")],
    org: Annotated[str | None, typer.Option("--org", help="Confine the token to one organization.")] = None,
    env: Annotated[str | None, typer.Option("--env", help="Confine the token to one environment.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="What it is for (default: the kind).")] = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Issue a token and print its secret: it is shown this once."""
    who = resolve_actor(actor)
    with open_container() as container:
        token, secret = container.tokens.create(kind, org, env, name or f"{kind.value} token", who)
    if as_json:
        print_json({**token_dict(token), "secret": secret})
        return
    typer.echo(secret)
    typer.echo(
        f"{token.token_id} ({token.kind.value}): keep the secret above, it is not shown again", err=True
    )


@token_app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Every token, oldest first, without secrets."""
    with open_container() as container:
        tokens = container.tokens.list()
    if as_json:
        print_json([token_dict(token) for token in tokens])
        return
    print_table(
        ["ID", "KIND", "NAME", "ORG", "ENV", "CREATED (UTC)", "REVOKED"],
        [
            [
                t.token_id,
                t.kind.value,
                t.name,
                t.organization_id or "",
                t.environment or "",
                t.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                "" if t.revoked_at is None else t.revoked_at.strftime("%Y-%m-%d %H:%M:%S"),
            ]
            for t in tokens
        ],
    )


@token_app.command("revoke")
def revoke_command(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id (tok_…).")],
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stop accepting a token (every server notices within a few seconds)."""
    who = resolve_actor(actor)
    with open_container() as container:
        token = container.tokens.revoke(token_id, who)
    if as_json:
        print_json(token_dict(token))
        return
    typer.echo(f"revoked {token.token_id} ({token.kind.value}, {token.name})")


def register(app: typer.Typer) -> None:
    """Add the `token` group to the root command."""
    app.add_typer(token_app, name="token")
