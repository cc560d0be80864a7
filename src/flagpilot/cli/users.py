"""`flagpilot user create|list|disable|enable|passwd|role`: the people who sign in to the admin UI.

The first admin user has to come from the command line: `flagpilot user create alice --role
admin` asks for the password twice (or reads one line from standard input with
`--password-stdin`, for scripts). Passwords are stored as argon2id hashes; every change is
audited under `--actor`.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from flagpilot.cli.command_support import ActorOption, JsonOption, open_container, resolve_actor
from flagpilot.cli.output import fail, print_json, print_table
from flagpilot.services.users import UserRecord

user_app = typer.Typer(help="Create, list and disable admin UI users.", no_args_is_help=True)

LoginArgument = Annotated[str, typer.Argument(metavar="LOGIN", help="The user name to sign in with.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
]


def user_dict(user: UserRecord) -> dict[str, Any]:
    """A user as `--json` prints it (never the password hash)."""
    return {
        "login": user.login,
        "displayName": user.display_name,
        "role": user.role.value,
        "disabled": user.disabled,
        "createdAt": user.created_at.isoformat(),
    }


def read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or asked for twice without echo."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("--password-stdin: standard input had no password on its first line", code=2)
        return password
    if not sys.stdin.isatty():
        fail("no terminal to ask for the password: pass --password-stdin and pipe it in", code=2)
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("create")
def create_command(
    login: LoginArgument,
    role: Annotated[str, typer.Option("--role", help="admin, editor or viewer.")] = "viewer",
    name: Annotated[str, typer.Option("--name", help="The name shown in the UI (default: the login).")] = "",
    password_stdin: PasswordStdin = False,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a user who can sign in to the admin UI."""
    who = resolve_actor(actor)
    password = read_password(password_stdin)
    with open_container() as container:
        user = container.users.create(login, password, role, actor=who, display_name=name)
    if as_json:
        print_json(user_dict(user))
        return
    typer.echo(f"created {user.login} ({user.role.value}): sign in at /admin")


@user_app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Every user, by login."""
    with open_container() as container:
        users = container.users.list()
    if as_json:
        print_json([user_dict(user) for user in users])
        return
    print_table(
        ["LOGIN", "NAME", "ROLE", "DISABLED", "CREATED (UTC)"],
        [
            [
                u.login,
                u.display_name,
                u.role.value,
                "yes" if u.disabled else "",
                u.created_at.strftime("%Y-%m-%d %H:%M"),
            ]
            for u in users
        ],
    )


@user_app.command("disable")
def disable_command(login: LoginArgument, actor: ActorOption = None) -> None:
    """Refuse the user's sign-ins and end its sessions at once."""
    who = resolve_actor(actor)
    with open_container() as container:
        user = container.users.disable(login, actor=who)
    typer.echo(f"disabled {user.login}")


@user_app.command("enable")
def enable_command(login: LoginArgument, actor: ActorOption = None) -> None:
    """Accept a disabled user's sign-ins again."""
    who = resolve_actor(actor)
    with open_container() as container:
        user = container.users.enable(login, actor=who)
    typer.echo(f"enabled {user.login}")


@user_app.command("passwd")
def passwd_command(
    login: LoginArgument, password_stdin: PasswordStdin = False, actor: ActorOption = None
) -> None:
    """Set a user's password (its open sessions end)."""
    who = resolve_actor(actor)
    password = read_password(password_stdin)
    with open_container() as container:
        user = container.users.set_password(login, password, actor=who)
    typer.echo(f"password changed for {user.login}")


@user_app.command("role")
def role_command(
    login: LoginArgument,
    role: Annotated[str, typer.Argument(metavar="ROLE", help="admin, editor or viewer.")],
    actor: ActorOption = None,
) -> None:
    """Change what a user may do."""
    who = resolve_actor(actor)
    with open_container() as container:
        user = container.users.set_role(login, role, actor=who)
    typer.echo(f"{user.login} is now {user.role.value}")


def register(app: typer.Typer) -> None:
    """Add the `user` group to the root command."""
    app.add_typer(user_app, name="user")
