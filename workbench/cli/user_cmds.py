"""``workbench users add|roles|grant|revoke|password|remove|list`` and ``workbench whoami``:
people, their roles (admins change them) and, on PostgreSQL, their logins."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from workbench.cli.context import CliContext
from workbench.store.schema import ROLES


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``users …`` and ``whoami``.

    A role given by ``add``/``roles`` holds in every project; ``grant``/``revoke`` with
    ``--project P`` (and ``add --project P``) give and take a role that holds in P only. On
    PostgreSQL each person is a database login: ``users add`` creates it and grants its group
    roles, ``--password-stdin`` sets its password (from standard input, never the command line;
    only its SCRAM verifier reaches the server), ``roles`` is GRANT/REVOKE and ``remove`` disables
    the login. On the embedded store names are asserted and there are no passwords.
    """
    users = sub.add_parser("users", help="list users, add users, change roles")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    add = users_sub.add_parser("add", help="add a user (admin only)")
    add.add_argument("name")
    add.add_argument("--role", action="append", required=True, choices=ROLES, dest="roles",
                     help="a role to grant; repeat for several")
    add.add_argument("--project", dest="in_project", metavar="P",
                     help="the roles hold in project P only (default: in every project)")
    add.add_argument("--display-name", default="")
    add.add_argument("--password-stdin", action="store_true",
                     help="PostgreSQL: read the person's new login password from standard input")
    add.set_defaults(handler=_add)

    password = users_sub.add_parser("password", help="PostgreSQL: set a login's password (yours, or "
                                                     "anyone's as an admin), read from standard input")
    password.add_argument("name")
    password.set_defaults(handler=_password)

    remove = users_sub.add_parser("remove", help="remove a person: roles revoked, login disabled (admin only)")
    remove.add_argument("name")
    remove.set_defaults(handler=_remove)

    roles = users_sub.add_parser("roles", help="replace a user's roles (admin only)")
    roles.add_argument("name")
    roles.add_argument("--role", action="append", required=True, choices=ROLES, dest="roles")
    roles.set_defaults(handler=_roles)

    for verb, handler, words in (("grant", _grant, "give NAME a role in one project only"),
                                 ("revoke", _revoke, "take from NAME a role held in one project only")):
        change = users_sub.add_parser(verb, help=f"{words} (admin only)")
        change.add_argument("name")
        change.add_argument("role", nargs="+", choices=ROLES, metavar="ROLE")
        change.add_argument("--project", dest="in_project", metavar="P", required=True,
                            help="the project (roles held in every project change with 'users roles')")
        change.set_defaults(handler=handler)

    listing = users_sub.add_parser("list", help="list users and their roles")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)

    whoami = sub.add_parser("whoami", help="who you act as on the store, and how that is known")
    whoami.add_argument("--json", action="store_true")
    whoami.set_defaults(handler=_whoami)


def read_password() -> str:
    """One line from standard input: the password (a terminal is asked without echo)."""
    import getpass
    import sys

    from workbench.errors import InvalidInputError

    text = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    if len(text) < 8:
        raise InvalidInputError("the password on standard input is shorter than 8 characters")
    return text


def _add(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.users import add_user

    password = read_password() if args.password_stdin else None
    if args.in_project:
        from workbench.services.projects import add_person

        held = add_person(ctx.store(), ctx.user, args.name, args.in_project, args.roles, args.display_name,
                          password=password)
        print(f"added {held.name} ({', '.join(held.projects[args.in_project])} in project {args.in_project} only)")
    else:
        user = add_user(ctx.store(), ctx.user, args.name, args.roles, args.display_name, password=password)
        print(f"added {user.name} ({', '.join(user.roles)})")
    if ctx.store().dialect == "postgresql" and password is None:
        print(f"  {user.name} signs in once a password is set: workbench users password {user.name}")
    return 0


def _password(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.users import set_password

    set_password(ctx.store(), ctx.user, args.name, read_password())
    print(f"the password of {args.name} is set")
    return 0


def _remove(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.users import remove_user

    remove_user(ctx.store(), ctx.user, args.name)
    print(f"removed {args.name}: no roles" + (", login disabled" if ctx.store().dialect == "postgresql" else ""))
    return 0


def _whoami(args: argparse.Namespace, ctx: CliContext) -> int:
    session = ctx.session(read_only=True)
    if args.json:
        ctx.print_json({"name": session.name, "roles": list(session.roles), "proven": session.proven,
                        "how": session.how, "store": session.store.display_url})
        return 0
    print(f"{session.name} ({', '.join(session.roles) or 'no roles'}) on {session.store.display_url}")
    print(f"  {session.how}" + ("" if session.proven else ": nothing proves who typed this name"))
    return 0


def _roles(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.users import set_roles

    user = set_roles(ctx.store(), ctx.user, args.name, args.roles)
    print(f"{user.name} now holds {', '.join(user.roles)}")
    return 0


def _grant(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.projects import grant

    held = grant(ctx.store(), ctx.user, args.name, args.in_project, args.role)
    print(f"{args.name} now holds {', '.join(held.projects.get(args.in_project, ()))} in project {args.in_project}")
    return 0


def _revoke(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.projects import revoke

    held = revoke(ctx.store(), ctx.user, args.name, args.in_project, args.role)
    left = ", ".join(held.projects.get(args.in_project, ())) or "no role"
    print(f"{args.name} now holds {left} in project {args.in_project} only")
    return 0


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.projects import all_project_roles
    from workbench.services.users import list_users

    users = list_users(ctx.store(), ctx.user)
    per_project = all_project_roles(ctx.store(), ctx.user)
    if args.json:
        ctx.print_json([{**asdict(u), "roles": list(u.roles),
                         "project_roles": {p: list(r) for p, r in per_project.get(u.name, {}).items()}}
                        for u in users])
        return 0
    width = max((len(u.name) for u in users), default=4)
    for user in users:
        where = "; ".join(f"{', '.join(r)} in {p}" for p, r in per_project.get(user.name, {}).items())
        shown = ", ".join(user.roles) + ("; " if user.roles and where else "") + where
        print(f"{user.name:<{width}}  {shown}".rstrip())
    return 0
