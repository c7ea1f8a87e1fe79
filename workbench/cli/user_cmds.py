"""``workbench users add|roles|list``: people and their roles (admins change them)."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from workbench.cli.context import CliContext
from workbench.store.schema import ROLES


def register(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="list users, add users, change roles")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    add = users_sub.add_parser("add", help="add a user (admin only)")
    add.add_argument("name")
    add.add_argument("--role", action="append", required=True, choices=ROLES, dest="roles",
                     help="a role to grant; repeat for several")
    add.add_argument("--display-name", default="")
    add.set_defaults(handler=_add)

    roles = users_sub.add_parser("roles", help="replace a user's roles (admin only)")
    roles.add_argument("name")
    roles.add_argument("--role", action="append", required=True, choices=ROLES, dest="roles")
    roles.set_defaults(handler=_roles)

    listing = users_sub.add_parser("list", help="list users and their roles")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)


def _add(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.users import add_user

    user = add_user(ctx.store(), ctx.user, args.name, args.roles, args.display_name)
    print(f"added {user.name} ({', '.join(user.roles)})")
    return 0


def _roles(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.users import set_roles

    user = set_roles(ctx.store(), ctx.user, args.name, args.roles)
    print(f"{user.name} now holds {', '.join(user.roles)}")
    return 0


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.users import list_users

    users = list_users(ctx.store(), ctx.user)
    if args.json:
        ctx.print_json([{**asdict(u), "roles": list(u.roles)} for u in users])
        return 0
    width = max((len(u.name) for u in users), default=4)
    for user in users:
        print(f"{user.name:<{width}}  {', '.join(user.roles)}")
    return 0
