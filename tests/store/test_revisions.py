"""The start-up schema check reads the shipped migration files itself (no Alembic import on
every start); it must agree with Alembic about every revision and the head."""

from __future__ import annotations

import subprocess
import sys


def test_the_files_give_the_same_revisions_and_head_as_alembic() -> None:
    from alembic.script import ScriptDirectory

    from workbench.store.migrate import _config, head_revision, revisions

    script = ScriptDirectory.from_config(_config())
    assert head_revision() == script.get_current_head()
    assert revisions() == {rev.revision: rev.down_revision for rev in script.walk_revisions()}


def test_opening_a_current_store_imports_no_alembic(tmp_path) -> None:  # noqa: ANN001
    from workbench.store import init_store

    url = f"sqlite:///{tmp_path / 'store.db'}"
    init_store(url, "alice")
    code = ("import sys\nfrom workbench.store import open_store\n"
            f"open_store({url!r}).close()\nprint('alembic' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
