"""The folders whose Python files graphs may run (``workbench code-folders …``). Every add and
remove writes an audit entry and a change-feed event (topic ``code_folders``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from workbench.store.clock import now_ms
from workbench.store.errors import ConflictError, NotFoundError
from workbench.store.repos.base import Repo
from workbench.store.schema import CodeFolderRow

__all__ = ["CodeFolder", "CodeFoldersRepo"]


@dataclass(frozen=True)
class CodeFolder:
    id: int
    path: str
    added_by: str
    added_at: int
    removed_at: int | None
    removed_by: str | None


def _entity(row: CodeFolderRow) -> CodeFolder:
    return CodeFolder(row.id, row.path, row.added_by, row.added_at, row.removed_at, row.removed_by)


class CodeFoldersRepo(Repo):
    def add(self, path: str) -> CodeFolder:
        """Declare a code folder, kept as the absolute path it was declared with (the service
        expands ``~`` and resolves symlinks first); refuses one already declared."""
        if self._declared(path) is not None:
            raise ConflictError(f"the code folder {path} is already declared",
                                hint="'workbench code-folders list' shows them")
        row = CodeFolderRow(path=path, added_by=self.actor, added_at=now_ms())
        self.session.add(row)
        self.session.flush()
        self.audit("code_folders.add", f"code_folder:{path}", {})
        self.uow.record_change("code_folders", path, "added")
        return _entity(row)

    def remove(self, path: str) -> CodeFolder:
        """Withdraw a declared code folder: its row stays, with who removed it and when, and the
        folder may be declared again later (a new row)."""
        row = self._declared(path)
        if row is None:
            raise NotFoundError(f"{path} is not a declared code folder",
                                hint="'workbench code-folders list' shows them")
        row.removed_at, row.removed_by = now_ms(), self.actor
        self.session.flush()
        self.audit("code_folders.remove", f"code_folder:{path}", {})
        self.uow.record_change("code_folders", path, "removed")
        return _entity(row)

    def declared(self) -> list[CodeFolder]:
        """The folders in force, by path."""
        rows = self.session.scalars(select(CodeFolderRow).where(CodeFolderRow.removed_at.is_(None))
                                    .order_by(CodeFolderRow.path))
        return [_entity(r) for r in rows]

    def _declared(self, path: str) -> CodeFolderRow | None:
        return self.session.scalar(select(CodeFolderRow).where(
            CodeFolderRow.path == path, CodeFolderRow.removed_at.is_(None)))
