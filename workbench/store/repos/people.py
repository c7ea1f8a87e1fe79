"""Users and their roles, projects and the roles people hold in one project, and comments."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError

from workbench.store.clock import now_ms
from workbench.store.entities import Comment, Project, User
from workbench.store.errors import ConflictError, NotFoundError
from workbench.store.repos.base import Repo, to_entity
from workbench.store.schema import (
    ROLES,
    CommentRow,
    ProjectRoleRow,
    ProjectRow,
    UserRoleRow,
    UserRow,
)

PERSON_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,62}")


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """The roles sorted without repeats; ``ConflictError`` naming the first unknown one."""
    chosen = tuple(sorted(set(roles)))
    unknown = [r for r in chosen if r not in ROLES]
    if unknown:
        raise ConflictError(
            f"unknown role {unknown[0]!r}", hint=f"roles are: {', '.join(ROLES)}"
        )
    return chosen


class UsersRepo(Repo):
    def _roles(self, user_id: int) -> tuple[str, ...]:
        rows = self.session.scalars(
            select(UserRoleRow.role).where(UserRoleRow.user_id == user_id).order_by(UserRoleRow.role)
        )
        return tuple(rows)

    def _entity(self, row: UserRow) -> User:
        return to_entity(User, row, roles=self._roles(row.id))

    def count(self) -> int:
        """How many people the store has (disabled ones included)."""
        return int(self.session.scalar(select(func.count()).select_from(UserRow)) or 0)

    def find(self, name: str) -> User | None:
        """The person ``name``, or None."""
        row = self.session.scalar(select(UserRow).where(UserRow.name == name))
        return None if row is None else self._entity(row)

    def get(self, name: str) -> User:
        """The person ``name``; ``NotFoundError`` when the store has none."""
        user = self.find(name)
        if user is None:
            raise NotFoundError(f"no user named {name!r} in this store",
                                hint="an admin adds users with 'workbench users add NAME --role ROLE'")
        return user

    def all(self) -> list[User]:
        """Everyone with their store-wide roles, by name."""
        rows = self.session.scalars(select(UserRow).order_by(UserRow.name)).all()
        roles: dict[int, list[str]] = {}
        for user_id, role in self.session.execute(
            select(UserRoleRow.user_id, UserRoleRow.role).order_by(UserRoleRow.role)
        ):
            roles.setdefault(user_id, []).append(role)
        return [to_entity(User, r, roles=tuple(roles.get(r.id, ()))) for r in rows]

    def add(self, name: str, roles: Iterable[str], display_name: str = "") -> User:
        """Add a person (the name is also their database login) with roles that hold in every project, audited."""
        name = name.strip()
        if not PERSON_NAME.fullmatch(name):
            raise ConflictError(f"{name!r} cannot be a person's name: use 1 to 63 letters, digits, '.', '_', "
                                "'-' or '@', starting with a letter or digit (it is their database login)")
        chosen = check_roles(roles)
        if self.find(name) is not None:
            raise ConflictError(f"a user named {name!r} already exists",
                                hint="use 'workbench users roles' to change their roles")
        row = UserRow(name=name, display_name=display_name or name, created_at=now_ms(),
                      created_by=self.actor)
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError:
            raise ConflictError(f"a user named {name!r} already exists") from None
        self.session.add_all([UserRoleRow(user_id=row.id, role=r) for r in chosen])
        self.session.flush()
        self.audit("users.add", f"user:{name}", {"roles": list(chosen)})
        self.uow.record_change("users", name, "added")
        return self._entity(row)

    def set_roles(self, name: str, roles: Iterable[str]) -> User:
        """Replace ``name``'s store-wide roles (``user_roles``: they hold in every project), audited."""
        chosen = check_roles(roles)
        user = self.get(name)
        self.session.execute(delete(UserRoleRow).where(UserRoleRow.user_id == user.id))
        self.session.add_all([UserRoleRow(user_id=user.id, role=r) for r in chosen])
        self.session.flush()
        self.audit("users.roles", f"user:{name}", {"old": list(user.roles), "new": list(chosen)})
        self.uow.record_change("users", name, "roles")
        return self.get(name)


    def remove(self, name: str) -> User:
        """Disable a person: their roles go, their row stays (the audit trail names them), and on
        PostgreSQL their login can no longer sign in."""
        user = self.get(name)
        if user.name == self.actor:
            raise ConflictError("you cannot remove yourself", hint="another admin removes you")
        self.session.execute(delete(UserRoleRow).where(UserRoleRow.user_id == user.id))
        row = self.session.get(UserRow, user.id)
        row.disabled_at = now_ms()
        self.session.flush()
        if self.uow.dialect == "postgresql":
            self.session.execute(text("SELECT wb_disable_person(:n)"), {"n": name})
        self.audit("users.remove", f"user:{name}", {"roles": list(user.roles)})
        self.uow.record_change("users", name, "removed")
        return self.get(name)

    def project_roles(self, name: str) -> dict[str, tuple[str, ...]]:
        """The roles ``name`` holds in single projects: {project name: roles}."""
        rows = self.session.execute(
            select(ProjectRow.name, ProjectRoleRow.role).join(ProjectRow, ProjectRow.id == ProjectRoleRow.project_id)
            .join(UserRow, UserRow.id == ProjectRoleRow.user_id).where(UserRow.name == name)
            .order_by(ProjectRow.name, ProjectRoleRow.role))
        held: dict[str, list[str]] = {}
        for project, role in rows:
            held.setdefault(project, []).append(role)
        return {p: tuple(r) for p, r in held.items()}

    def roles_in(self, user: User, project_id: int) -> tuple[str, ...]:
        """What ``user`` holds in one project: their store-wide roles and that project's."""
        own = self.session.scalars(select(ProjectRoleRow.role).where(
            ProjectRoleRow.user_id == user.id, ProjectRoleRow.project_id == project_id))
        return tuple(sorted(set(user.roles) | set(own)))

    def grant_in(self, name: str, project: str, roles: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Give ``name`` roles in one project only (``project_roles``, audited); returns their project
        roles. Only an admin grants (the services check it; on PostgreSQL the database too)."""
        chosen = check_roles(roles)
        user, where = self.get(name), self.uow.projects.get(project)
        have = set(self.project_roles(name).get(project, ()))
        new = [r for r in chosen if r not in have]
        self.session.add_all([ProjectRoleRow(user_id=user.id, project_id=where.id, role=r) for r in new])
        self.session.flush()
        self.audit("users.grant", f"user:{name}", {"project": project, "roles": new})
        self.uow.record_change("users", name, "roles")
        return self.project_roles(name)

    def revoke_in(self, name: str, project: str, roles: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Take project roles from ``name`` (audited); a role they do not hold there is refused."""
        chosen = check_roles(roles)
        user, where = self.get(name), self.uow.projects.get(project)
        have = self.project_roles(name).get(project, ())
        missing = [r for r in chosen if r not in have]
        if missing:
            raise ConflictError(f"{name!r} does not hold the role {missing[0]} in project {project!r}",
                                hint=f"'workbench users list' shows who holds what; roles held in every "
                                     f"project change with 'workbench users roles {name}'")
        self.session.execute(delete(ProjectRoleRow).where(
            ProjectRoleRow.user_id == user.id, ProjectRoleRow.project_id == where.id,
            ProjectRoleRow.role.in_(chosen)))
        self.session.flush()
        self.audit("users.revoke", f"user:{name}", {"project": project, "roles": list(chosen)})
        self.uow.record_change("users", name, "roles")
        return self.project_roles(name)

    def set_password(self, name: str, password: str) -> None:
        """Set a person's PostgreSQL password; only its SCRAM verifier reaches the server."""
        if self.uow.dialect != "postgresql":
            raise ConflictError("the embedded store has no passwords: identities there are asserted",
                                hint="use a PostgreSQL store where people must prove who they are")
        from workbench.store.pg_security import scram_verifier

        self.get(name)
        self.session.execute(text("SELECT wb_set_password(:n, :v)"), {"n": name, "v": scram_verifier(password)})
        self.audit("users.password", f"user:{name}", {})


class ProjectsRepo(Repo):
    DEFAULT = "default"

    def find(self, name: str) -> Project | None:
        """The project ``name``, or None."""
        row = self.session.scalar(select(ProjectRow).where(ProjectRow.name == name))
        return None if row is None else to_entity(Project, row)

    def get(self, name: str) -> Project:
        """The project ``name``; ``NotFoundError`` naming the store's projects when none."""
        project = self.find(name)
        if project is None:
            known = ", ".join(p.name for p in self.all()) or "none"
            raise NotFoundError(f"no project named {name!r} in this store (its projects: {known})",
                                hint="choose one with --project or $WORKBENCH_PROJECT; an admin adds "
                                     "projects with 'workbench projects add NAME'")
        return project

    def by_id(self, project_id: int) -> Project:
        """The project with this id; ``NotFoundError`` when none."""
        row = self.session.get(ProjectRow, project_id)
        if row is None:
            raise NotFoundError(f"no project with id {project_id}")
        return to_entity(Project, row)

    def of_run(self, run_id: int | None) -> int:
        """The project of a run; the default project's id when there is no run."""
        if run_id is not None:
            from workbench.store.schema import RunRow

            found = self.session.scalar(select(RunRow.project_id).where(RunRow.id == run_id))
            if found is not None:
                return int(found)
        return self.ensure().id

    def add(self, name: str, description: str = "") -> Project:
        """A new project, audited (only admins: the services check it; on PostgreSQL the database too)."""
        name = name.strip()
        if not PERSON_NAME.fullmatch(name):
            raise ConflictError(f"{name!r} cannot be a project's name: use 1 to 63 letters, digits, '.', '_', "
                                "'-' or '@', starting with a letter or digit")
        if self.find(name) is not None:
            raise ConflictError(f"a project named {name!r} already exists")
        return self.ensure(name, description)

    def remove(self, name: str) -> Project:
        """Remove an empty project (no graphs, runs, models, KPIs or approval requests); the
        roles people held in it go with it."""
        from workbench.store.schema import (
            ApprovalRequestRow,
            GraphVersionRow,
            KpiSeriesRow,
            ModelVersionRow,
            RunRow,
        )

        project = self.get(name)
        if project.name == self.DEFAULT:
            raise ConflictError("the default project cannot be removed")
        for table, words in ((GraphVersionRow, "graph versions"), (RunRow, "runs"), (ModelVersionRow, "model versions"),
                             (KpiSeriesRow, "KPI series"), (ApprovalRequestRow, "approval requests")):
            count = self.session.scalar(select(func.count()).select_from(table)
                                        .where(table.project_id == project.id))
            if count:
                raise ConflictError(f"project {name!r} holds {count} {words}: only an empty project is removed")
        self.session.execute(delete(ProjectRoleRow).where(ProjectRoleRow.project_id == project.id))
        self.session.execute(delete(ProjectRow).where(ProjectRow.id == project.id))
        self.session.flush()
        self.audit("projects.remove", f"project:{name}", {})
        self.uow.record_change("projects", name, "removed")
        return project

    def all(self) -> list[Project]:
        """Every project, by name."""
        return [to_entity(Project, r) for r in self.session.scalars(select(ProjectRow).order_by(ProjectRow.name))]

    def ensure(self, name: str = DEFAULT, description: str = "") -> Project:
        """The project ``name`` (default: the default project), made and audited when new."""
        existing = self.find(name)
        if existing is not None:
            return existing
        row = ProjectRow(name=name, description=description, created_at=now_ms(), created_by=self.actor)
        self.session.add(row)
        self.session.flush()
        self.audit("projects.add", f"project:{name}", {"description": description})
        self.uow.record_change("projects", name, "added")
        return to_entity(Project, row)


# ``@name`` in a comment: a person's name as the store spells them
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]|[A-Za-z0-9])")


class CommentsRepo(Repo):
    def add(self, subject_type: str, subject_id: str | int, text: str,
            parent_id: int | None = None) -> Comment:
        """A comment (or a reply to ``parent_id`` on the same subject), audited; ``@name`` mentions notify those people."""
        if not text.strip():
            raise ConflictError("a comment needs some text")
        if parent_id is not None:
            parent = self.get(parent_id)
            if (parent.subject_type, parent.subject_id) != (subject_type, str(subject_id)):
                raise ConflictError(f"comment {parent_id} belongs to {parent.subject_type}:"
                                    f"{parent.subject_id}, not to {subject_type}:{subject_id}")
        row = CommentRow(subject_type=subject_type, subject_id=str(subject_id), author=self.actor,
                         text=text, created_at=now_ms(), parent_id=parent_id)
        self.session.add(row)
        self.session.flush()
        self.audit("comments.add", f"{subject_type}:{subject_id}",
                   {"comment": row.id, "reply_to": parent_id, "text": text})
        named = [n for n in dict.fromkeys(MENTION.findall(text)) if self.uow.users.find(n) is not None]
        if named:
            self.uow.notifications.notify(named, "mention", f"{subject_type}:{subject_id}",
                                          f"{self.actor} mentioned you on {subject_type}:{subject_id}: "
                                          f"{text[:200]}")
        self.uow.record_change("comments", f"{subject_type}:{subject_id}", "added")
        return to_entity(Comment, row)

    def get(self, comment_id: int) -> Comment:
        """Comment ``comment_id``; ``NotFoundError`` when none."""
        row = self.session.get(CommentRow, comment_id)
        if row is None:
            raise NotFoundError(f"no comment {comment_id}")
        return to_entity(Comment, row)

    def edit(self, comment_id: int, text: str) -> Comment:
        """New text for a comment (the caller checks it is the author's); shown as edited."""
        if not text.strip():
            raise ConflictError("a comment needs some text")
        row = self.session.get(CommentRow, comment_id)
        if row is None:
            raise NotFoundError(f"no comment {comment_id}")
        row.text, row.edited_at = text, now_ms()
        self.session.flush()
        self.audit("comments.edit", f"{row.subject_type}:{row.subject_id}",
                   {"comment": row.id, "text": text})
        self.uow.record_change("comments", f"{row.subject_type}:{row.subject_id}", "edited")
        return to_entity(Comment, row)

    def all(self, subject_type: str, subject_id: str | int) -> list[Comment]:
        """The comments on one subject, oldest first."""
        rows = self.session.scalars(
            select(CommentRow)
            .where(CommentRow.subject_type == subject_type, CommentRow.subject_id == str(subject_id))
            .order_by(CommentRow.id)
        )
        return [to_entity(Comment, r) for r in rows]
