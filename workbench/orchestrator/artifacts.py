"""The content-addressed artifact directory: ``<root>/<sha256[:2]>/<sha256>``.

Files are written atomically (a temporary file in the root, fsync, ``os.replace``), so a
crash never leaves a half-written artifact under its final name, and identical content is
stored once. The root sits next to a SQLite store (``<file stem>-artifacts/``), or comes from
``$WORKBENCH_ARTIFACTS`` (a path or ``file://`` URI); a PostgreSQL store without it keeps its
artifacts in the user data directory, one folder per database.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from workbench.errors import UnusableInputError

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class ArtifactStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_store(cls, store_url: str) -> ArtifactStore:
        configured = os.environ.get("WORKBENCH_ARTIFACTS")
        if configured:
            parsed = urlparse(configured)
            if parsed.scheme not in ("", "file"):
                raise UnusableInputError(
                    f"artifact URI {configured!r}: only local paths and file:// URIs are supported")
            return cls(Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(configured))
        from workbench.store.urls import default_data_dir, redact, sqlite_path

        db = sqlite_path(store_url)
        if db is not None:
            return cls(db.parent / f"{db.stem}-artifacts")
        key = hashlib.sha256(redact(store_url).encode()).hexdigest()[:16]
        return cls(default_data_dir() / "artifacts" / key)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def uri(self, sha256: str) -> str:
        return self.path(sha256).resolve().as_uri()

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_file(self, source: Path) -> tuple[str, int, Path]:
        """Copy ``source`` in; returns (sha256, size, stored path)."""
        scratch = self.root / "tmp"
        scratch.mkdir(exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=scratch, prefix="incoming-")
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                for block in iter(lambda: src.read(CHUNK), b""):
                    digest.update(block)
                    out.write(block)
                    size += len(block)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.path(sha)
            if final.is_file() and final.stat().st_size == size:
                os.unlink(tmp_name)
            else:
                final.parent.mkdir(exist_ok=True)
                os.replace(tmp_name, final)
            return sha, size, final
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def verify(self, sha256: str) -> bool:
        path = self.path(sha256)
        return path.is_file() and sha256_of(path) == sha256

    def scratch_dir(self, prefix: str) -> Path:
        folder = self.root / "work"
        folder.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(dir=folder, prefix=prefix))

    @staticmethod
    def discard(folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
