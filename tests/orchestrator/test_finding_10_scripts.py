"""Finding 10 of the security review (graph files are code): a ``train_torch`` script runs only
from a code folder an engineer or admin declared in the store. A script elsewhere, or a symlink
out of a declared folder, is refused before the step starts — it is never imported — and the
refusal names the node, the parameter and what to do. Only engineers and admins declare."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import ROOT, no_traceback, workbench
from tests.support.store_setup import cast_store
from workbench.graph import Graph, save
from workbench.services.users import add_user

SCRIPT = '''
from pathlib import Path

Path(__file__).with_suffix(".ran").write_text("imported")

import torch
from torch import nn


def train(X_train, y_train, params, device):
    torch.manual_seed(params["seed"])
    net = nn.Sequential(nn.Linear(X_train.shape[1], 2)).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    X, y = torch.from_numpy(X_train).to(device), torch.from_numpy(y_train).to(device)
    for _ in range(20):
        opt.zero_grad()
        nn.functional.cross_entropy(net(X), y).backward()
        opt.step()
    return net
'''


def _graph(path: Path, script: str) -> Path:
    graph = Graph("scripted")
    graph.add_node("data_source", id="data", params={"format": "builtin"})
    graph.add_node("train_torch", id="train", params={"model_name": "scripted", "script": script,
                                                      "device": "cpu"})
    graph.connect("data", "data", "train", "data")
    save(graph, path)
    return path


def test_finding_10_a_script_runs_only_from_a_declared_code_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = cast_store(url)
    add_user(store, "alice", "sam", ["scientist"])
    store.close()
    env = {"WORKBENCH_STORE": url, "PYTHONPATH": str(ROOT)}
    project = tmp_path / "project"
    scripts = project / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "net.py").write_text(SCRIPT)
    graph = _graph(project / "scripted.yaml", "scripts/net.py")

    # no folder declared: refused before the step starts, the script never imported
    ran = workbench("--user", "bob", "run", str(graph), "--wait", env=env, timeout=300)
    said = ran.stdout + ran.stderr
    assert ran.returncode != 0 and no_traceback(ran), said
    assert "'train'" in said and "'script'" in said and "code-folders add" in said, said
    assert not (scripts / "net.ran").exists()

    # a scientist may not declare the folder of their own script
    refused = workbench("--user", "sam", "code-folders", "add", str(scripts), env=env)
    assert refused.returncode == 3 and "engineer or admin" in refused.stderr, refused.stderr
    assert json.loads(workbench("--user", "sam", "code-folders", "list", "--json", env=env).stdout) == []

    # an engineer reviews and declares it: the same graph now trains from it
    declared = workbench("--user", "bob", "code-folders", "add", str(project / "scripts" / ".." / "scripts"),
                         env=env)
    assert declared.returncode == 0, declared.stderr
    listed = json.loads(workbench("--user", "sam", "code-folders", "list", "--json", env=env).stdout)
    assert [(f["path"], f["added_by"]) for f in listed] == [(str(scripts.resolve()), "bob")]
    ran = workbench("--user", "bob", "run", str(graph), "--wait", env=env, timeout=300)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert (scripts / "net.ran").read_text() == "imported"

    # a script outside it, and a symlink inside it that points out, are refused
    (scripts / "net.ran").unlink()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "evil.py").write_text(SCRIPT)
    (scripts / "link.py").symlink_to(outside / "evil.py")
    for name, script in (("absolute", str(outside / "evil.py")), ("link", "scripts/link.py")):
        ran = workbench("--user", "bob", "run", str(_graph(project / f"{name}.yaml", script)), "--wait",
                        env=env, timeout=300)
        said = ran.stdout + ran.stderr
        assert ran.returncode != 0 and "outside the declared code folders" in said, said
        assert str(outside / "evil.py") in said
    assert not (outside / "evil.ran").exists()

    # removing the folder stops its scripts again; the audit trail names both acts
    assert workbench("--user", "bob", "code-folders", "remove", str(scripts), env=env).returncode == 0
    ran = workbench("--user", "bob", "run", str(graph), "--wait", env=env, timeout=300)
    assert ran.returncode != 0 and not (scripts / "net.ran").exists()
    from workbench.store import open_store

    store = open_store(url)
    with store.read() as uow:
        actions = [e.action for e in uow.audit.all() if e.subject.startswith("code_folder:")]
    store.close()
    assert actions == ["code_folders.add", "code_folders.remove"]
