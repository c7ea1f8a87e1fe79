"""Issue 13, finding 7: a target's ``work_dir`` and ``python`` never reach a remote shell as
code. ``targets add`` refuses values that are not a plain absolute path / command name (exit 1,
naming the parameter), and every remote command line quotes them, so a target stored before
these rules, with an injected command in its parameters, runs nothing but the step."""

from __future__ import annotations

import os
import pwd
import shutil
import sys
import uuid
from pathlib import Path

import pytest

from tests.engines.ssh.conftest import ssh_params
from tests.support.cli import no_traceback, workbench
from workbench.engines.ssh.connection import SshParams
from workbench.engines.ssh.engine import SshEngine
from workbench.errors import InvalidInputError
from workbench.graph import Graph, save
from workbench.orchestrator.runner import RunDriver
from workbench.services import targets as target_service
from workbench.services.runs import start_run


def _remote_graph(path: Path, target: str) -> Path:
    graph = Graph("remote data")
    graph.add_node("data_source", id="data", params={"format": "builtin"}, target=target)
    save(graph, path)
    return path


def test_finding_7_work_dir_cannot_inject_shell(store, ssh_server, tmp_path: Path) -> None:
    pwned = [tmp_path / f"PWN{i}" for i in range(6)]
    # 1. through the services: refused before anything is stored
    bad_work_dirs = [f"{tmp_path}/x; touch {pwned[0]}", f"{tmp_path}/$(touch {pwned[0]})",
                     f"{tmp_path}/x\ntouch {pwned[0]}", "relative/dir", f"{tmp_path}/`touch {pwned[0]}`"]
    for work_dir in bad_work_dirs:
        with pytest.raises(InvalidInputError, match="work_dir") as refused:
            target_service.add_target(store, "bob", "box", "ssh", ssh_params(ssh_server, tmp_path, work_dir=work_dir))
        assert refused.value.exit_code == 1
    for python in (f"{sys.executable}; touch {pwned[0]}", f"$(touch {pwned[0]})", "python3 -c 1", "py|thon"):
        with pytest.raises(InvalidInputError, match="python"):
            target_service.add_target(store, "bob", "box", "ssh", ssh_params(ssh_server, tmp_path, python=python))
    with store.read() as uow:
        assert [t.name for t in uow.targets.all()] == []

    url = store.url
    cli = workbench("--store", url, "--user", "bob", "targets", "add", "ssh", "box", "--host", "127.0.0.1",
                    "--work-dir", f"/tmp/x; touch {pwned[1]}", env={"WORKBENCH_USER": ""})
    assert cli.returncode == 1 and no_traceback(cli), cli.stderr
    assert "work_dir" in cli.stderr and "--work-dir" in cli.stderr
    cli = workbench("--store", url, "--user", "bob", "targets", "add", "ssh", "box", "--host", "127.0.0.1",
                    "--python", f"python3 $(touch {pwned[1]})", env={"WORKBENCH_USER": ""})
    assert cli.returncode == 1 and "python" in cli.stderr and no_traceback(cli), cli.stderr

    # plain values are accepted: an absolute path, the default under the home folder, a command name
    target_service.add_target(store, "bob", "fine", "ssh", ssh_params(ssh_server, tmp_path, python="python3"))
    target_service.add_target(store, "bob", "home", "ssh",
                              ssh_params(ssh_server, tmp_path, work_dir="~/.mlops-workbench"))

    # 2. a target written straight into the store (as before these rules): quoting protects
    injected = f"{tmp_path}/remote work; touch {pwned[2]} && echo $(touch {pwned[3]}) `touch {pwned[4]}`"
    with store.write("bob") as uow:
        uow.targets.add("legacy", "ssh", ssh_params(ssh_server, tmp_path, work_dir=injected))
        uow.targets.add("legacy-py", "ssh", ssh_params(ssh_server, tmp_path, python=f"{sys.executable} $(touch {pwned[5]})"))
    for name in ("legacy", "legacy-py"):
        assert target_service.trust_target(store, "bob", name, lambda offered, known: True)

    run = start_run(store, "bob", _remote_graph(tmp_path / "remote.yaml", "legacy"), detach=False)
    assert RunDriver(store, run.id).drive() == "succeeded"
    assert Path(injected).is_dir()  # the whole value is one folder name, as written
    checked = target_service.check_target(store, "bob", "legacy")
    assert checked.ok, checked.problem
    broken = target_service.check_target(store, "bob", "legacy-py")  # no such program: it fails, nothing runs
    assert not broken.ok and "legacy-py" in broken.problem
    assert [p.name for p in pwned if p.exists()] == []


def test_home_relative_work_dir_still_means_the_home_folder(ssh_server, known_hosts: Path) -> None:
    folder = f".wb-finding-7-{uuid.uuid4().hex[:8]}"
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)  # the host's home for the login, not $HOME of this test
    known_hosts.write_text(ssh_server.known_hosts_line())
    engine = SshEngine(SshParams.from_target("home", {**ssh_params(ssh_server, known_hosts.parent),
                                                      "work_dir": f"~/{folder}"}))
    try:
        assert engine.work_dir() == str(home / folder)
    finally:
        engine.close()
        shutil.rmtree(home / folder, ignore_errors=True)
