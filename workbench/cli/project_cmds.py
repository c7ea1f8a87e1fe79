"""``workbench projects add|list|remove|mine``: the projects of a store, which graphs, runs,
models, KPI series and approval requests belong to."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``projects add|list|remove|mine``: admins add and remove projects, anyone known to the
    store lists them; the global ``--project`` chooses where other commands work."""
    projects = sub.add_parser("projects", help="list, add and remove projects")
    projects_sub = projects.add_subparsers(dest="projects_command", metavar="ACTION", required=True)

    add = projects_sub.add_parser("add", help="add a project (admin only)")
    add.add_argument("name")
    add.add_argument("--description", default="")
    add.set_defaults(handler=_add)

    remove = projects_sub.add_parser("remove", help="remove an empty project and the roles held in it (admin only)")
    remove.add_argument("name")
    remove.set_defaults(handler=_remove)

    listing = projects_sub.add_parser("list", help="the store's projects, and who holds roles in each")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)

    mine = projects_sub.add_parser("mine", help="the projects you hold a role in, with your roles there")
    mine.add_argument("--json", action="store_true")
    mine.set_defaults(handler=_mine)


def _add(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.projects import add_project

    project = add_project(ctx.store(), ctx.user, args.name, args.description)
    print(f"added project {project.name}; give people roles in it with "
          f"'workbench users grant NAME ROLE --project {project.name}'")
    return 0


def _remove(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.projects import remove_project

    remove_project(ctx.store(), ctx.user, args.name)
    print(f"removed project {args.name}")
    return 0


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.projects import all_project_roles, list_projects

    projects = list_projects(ctx.store(), ctx.user)
    held = all_project_roles(ctx.store(), ctx.user)
    people = {p.name: sorted(f"{person} ({', '.join(roles[p.name])})" for person, roles in held.items()
                             if p.name in roles) for p in projects}
    if args.json:
        ctx.print_json([{**asdict(p), "project_roles": people[p.name]} for p in projects])
        return 0
    ctx.print_table(["project", "roles held there only", "description"],
                    [[p.name, "; ".join(people[p.name]) or "-", p.description] for p in projects])
    return 0


def _mine(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.projects import my_projects, roles_of

    roles = roles_of(ctx.store(), ctx.user)
    projects = my_projects(ctx.store(), ctx.user)
    if args.json:
        ctx.print_json({p.name: list(roles.in_project(p.name)) for p in projects})
        return 0
    if not projects:
        print(f"{ctx.user} holds no role in any project")
        return 0
    ctx.print_table(["project", "your roles there"], [[p.name, ", ".join(roles.in_project(p.name))] for p in projects])
    return 0
