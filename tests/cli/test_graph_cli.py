"""``workbench graph`` on good, malformed and hostile files: exit 1 or 2, one clear message,
never a traceback, and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import no_traceback, workbench

HOSTILE = {
    "python_tag.yaml": ("format: mlops-workbench/graph\nversion: 2\nname: !!python/object/apply:os.system ['touch pwned']\n", 2),
    "laughs.yaml": ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                    "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n", 2),
    "junk.yaml": (b"\x00\x01\xff\xfe binary junk \x89PNG", 2),
    "bad_yaml.yaml": ("nodes: [1\n", 2),
    "wrong_types.yaml": ("format: mlops-workbench/graph\nversion: 2\nname: x\nnodes: {a: 1}\n", 1),
    "unknown_kind.yaml": ("format: mlops-workbench/graph\nversion: 2\nname: x\nnodes:\n- id: n\n  kind: trian\n", 1),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_and_malformed_files(name: str, tmp_path: Path) -> None:
    content, code = HOSTILE[name]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = sorted(p.name for p in tmp_path.iterdir())
    result = workbench("graph", "validate", str(path), env={"HOME": str(tmp_path)})
    assert result.returncode == code, (result.stdout, result.stderr)
    assert no_traceback(result) and path.name in result.stderr
    shown = workbench("graph", "show", str(path), env={"HOME": str(tmp_path)})
    assert no_traceback(shown)
    # show displays a readable graph's problems (exit 0); an unusable file is still exit 2
    assert shown.returncode == (2 if code == 2 else shown.returncode) and (shown.returncode in (0, 1, 2))
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written (no 'pwned' either)


def test_a_cycle_is_exit_1_with_the_node_named(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    assert workbench("graph", "new", "--template", "approval", "-o", str(path)).returncode == 0
    text = path.read_text().replace("edges:\n", "edges:\n- {from: score.predictions, to: train.data}\n")
    path.write_text(text)
    result = workbench("graph", "validate", str(path), "--json")
    assert result.returncode == 1
    problems = json.loads(result.stdout)["problems"]
    assert any(p["node_id"] in ("train", "score") for p in problems)


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("keep me")
    result = workbench("graph", "new", "--template", "canary", "-o", str(path))
    assert result.returncode == 1 and "--force" in result.stderr and path.read_text() == "keep me"
    assert workbench("graph", "new", "--template", "canary", "-o", str(path), "--force").returncode == 0
    assert workbench("graph", "validate", str(path)).returncode == 0
