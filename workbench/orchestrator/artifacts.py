"""The content-addressed artifact directory: ``<root>/<sha256[:2]>/<sha256>``.

Files are written atomically (a temporary file in the root, fsync, ``os.replace``), so a
crash never leaves a half-written artifact under its final name, and identical content is
stored once. The root sits next to a SQLite store (``<file stem>-artifacts/``), or comes from
``$WORKBENCH_ARTIFACTS`` (a path or ``file://`` URI); a PostgreSQL store without it keeps its
artifacts in the user data directory, one folder per database.

Rules: a stored file is trusted only after it hashed to its name. ``problem`` hashes it; a
file that hashed right is remembered in this process by (path, size, mtime, ctime, inode), so
it is hashed again only after it changed (hashing runs at about 1.2 GB/s: ~80 ms per 100 MB).
``put_file`` always puts the new copy in place, so running a step again repairs a damaged file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

from workbench.errors import UnusableInputError

CHUNK = 1 << 20
_verified: dict[str, tuple[int, int, int, int]] = {}  # path -> stamp of a file that hashed right
_verified_lock = threading.Lock()


def _stamp(info: os.stat_result) -> tuple[int, int, int, int]:
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


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
            final.parent.mkdir(exist_ok=True)
            os.replace(tmp_name, final)  # also over a damaged copy of the same name
            with _verified_lock:
                _verified[str(final)] = _stamp(final.stat())
            return sha, size, final
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def problem(self, sha256: str) -> str:
        """``""`` when the stored file holds the content it is named after; else what is wrong
        with it, naming the file."""
        path = self.path(sha256)
        try:
            before = path.stat()
        except OSError:
            return f"its file {path} is missing"
        if not stat.S_ISREG(before.st_mode):
            return f"{path} is not a file"
        key = str(path)
        with _verified_lock:
            if _verified.get(key) == _stamp(before):
                return ""
        try:
            actual = sha256_of(path)
        except OSError as exc:
            return f"its file {path} cannot be read ({exc.strerror})"
        if actual != sha256:
            with _verified_lock:
                _verified.pop(key, None)
            return f"its file {path} was changed on disk (its sha256 is now {actual})"
        if _stamp(path.stat()) == _stamp(before):  # not written while it was hashed
            with _verified_lock:
                _verified[key] = _stamp(before)
        return ""

    def verify(self, sha256: str) -> bool:
        return not self.problem(sha256)

    def scratch_dir(self, prefix: str) -> Path:
        folder = self.root / "work"
        folder.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(dir=folder, prefix=prefix))

    @staticmethod
    def discard(folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
