"""SSH steps against an sshd with OpenSSH's stock limits (``MaxSessions 10``, ``MaxStartups
10:30:100``): fourteen steps at once on one target all succeed over a bounded number of
connections; a connection the server drops during the handshake is tried again after a
pause, and one that keeps being dropped is reported with what to check; a connection lost
while a step runs names the step, the host and what to check, and the step's process on the
host is stopped over a new connection."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.engines.ssh.conftest import ssh_params
from tests.support.postgres import free_port
from tests.support.tcp_proxy import TcpProxy
from workbench.engines.base import StepLaunch
from workbench.engines.errors import TargetError
from workbench.engines.ssh import pool as pools
from workbench.engines.ssh.connection import HANDSHAKE_TRIES, SshParams
from workbench.engines.ssh.engine import SshEngine
from workbench.graph import Graph, save
from workbench.orchestrator.runner import RunDriver
from workbench.services import targets as target_service
from workbench.services.runs import start_run

PARALLEL = 14
CROWD, CLIENTS = 70, 8


def _sources_graph(path: Path, target: str, count: int) -> Path:
    graph = Graph(f"{count} sources")
    for i in range(count):
        graph.add_node("data_source", id=f"d{i:02}", params={"format": "builtin"}, target=target)
    save(graph, path)
    return path


def _register(store, name: str, params: dict) -> None:  # noqa: ANN001
    target_service.add_target(store, "bob", name, "ssh", params)
    assert target_service.trust_target(store, "bob", name, lambda offered, known: True)


@pytest.fixture
def proxy(ssh_server):  # noqa: ANN001, ANN201
    forwarding = TcpProxy(ssh_server.port)
    yield forwarding
    forwarding.close()


def test_more_steps_at_once_than_max_sessions_all_succeed(store, ssh_server, tmp_path: Path) -> None:
    _register(store, "box", ssh_params(ssh_server, tmp_path))
    logins_before = ssh_server.logins()
    run = start_run(store, "bob", _sources_graph(tmp_path / "g.yaml", "box", PARALLEL), detach=False)
    assert RunDriver(store, run.id, max_parallel=PARALLEL).drive() == "succeeded"
    with store.read() as uow:
        steps = uow.runs.latest_steps(run.id)
        assert sorted(s.status for s in steps.values()) == ["succeeded"] * PARALLEL
        assert all(uow.runs.outputs(s.id)["data"] for s in steps.values())
        spans = [(s.started_at, s.finished_at) for s in steps.values()]
    # they really ran at once on the host: more steps than MaxSessions at some moment
    assert max(sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans) > 10
    logins = ssh_server.logins() - logins_before
    assert 1 <= logins <= pools.MAX_CONNECTIONS, f"{logins} SSH logins for one run on one target"


def test_real_maxstartups_drops_are_tried_again(ssh_server, known_hosts: Path, tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    known_hosts.write_text(ssh_server.known_hosts_line())
    # a crowd of connections that never log in: past 10 of them (MaxStartups 10:30:100) the sshd
    # drops each new connection at random, 77% of them at 70 pending
    crowd: list[socket.socket] = []
    while ssh_server.connections() < CROWD and len(crowd) < 2000:
        crowd += [socket.create_connection(("127.0.0.1", ssh_server.port)) for _ in range(5)]
        time.sleep(0.02)
    engines = [SshEngine(SshParams.from_target(f"crowded{i}", ssh_params(ssh_server, tmp_path / str(i))))
               for i in range(CLIENTS)]
    homes: dict[int, str] = {}
    try:
        assert ssh_server.connections() >= CROWD
        leave = threading.Timer(1.0, lambda: [sock.close() for sock in crowd])
        with caplog.at_level(logging.WARNING, logger="workbench.engines.ssh.connection"):
            leave.start()
            clients = [threading.Thread(target=lambda i=i: homes.__setitem__(i, engines[i].work_dir()))
                       for i in range(CLIENTS)]
            for client in clients:
                client.start()
            for client in clients:
                client.join(timeout=60)
        leave.join()
    finally:
        for engine in engines:
            engine.close()
        for sock in crowd:
            sock.close()
    assert homes == {i: str(tmp_path / str(i) / "remote-work") for i in range(CLIENTS)}  # all got through
    retries = [r.getMessage() for r in caplog.records if "during the handshake" in r.getMessage()]
    assert retries and all("'crowded" in m and "trying again in" in m for m in retries)
    assert "beginning MaxStartups throttling" in ssh_server.log()


def test_a_connection_dropped_at_the_handshake_is_tried_again(store, ssh_server, proxy: TcpProxy,
                                                               tmp_path: Path) -> None:
    _register(store, "busy", ssh_params(ssh_server, tmp_path, port=proxy.port))
    proxy.drop_next(3)  # a busy sshd past MaxStartups: "Exceeded MaxStartups", then closed
    began = time.monotonic()
    run = start_run(store, "bob", _sources_graph(tmp_path / "g.yaml", "busy", 1), detach=False)
    assert RunDriver(store, run.id).drive() == "succeeded"
    assert proxy.dropped == 3 and proxy.accepted >= 4
    assert time.monotonic() - began >= 0.125 + 0.25 + 0.5  # it paused (backing off) between tries

    proxy.drop_next(1000)  # dropped every time: the step fails before anything ran, and says why
    dropped_before = proxy.dropped
    run = start_run(store, "bob", _sources_graph(tmp_path / "g2.yaml", "busy", 3), detach=False, no_cache=True)
    assert RunDriver(store, run.id, max_parallel=3).drive() == "failed"
    # three steps waited for one connection: it was tried HANDSHAKE_TRIES times, not three times that
    assert proxy.dropped - dropped_before == HANDSHAKE_TRIES
    with store.read() as uow:
        errors = [step.error for step in uow.runs.latest_steps(run.id).values()]
    assert len(errors) == 3
    for error in errors:
        assert f"127.0.0.1:{proxy.port}" in error and "'busy'" in error
        assert f"during the handshake {HANDSHAKE_TRIES} times" in error and "nothing ran there" in error
        assert "sshd is running" in error and "MaxStartups" in error


def test_a_connection_lost_while_sending_the_step_is_tried_again(store, ssh_server, proxy: TcpProxy,
                                                                 tmp_path: Path) -> None:
    _register(store, "wobbly", ssh_params(ssh_server, tmp_path, port=proxy.port))
    proxy.cut_next(1, after_bytes=40_000)  # the next connection dies while the runtime (~120 kB) goes up
    run = start_run(store, "bob", _sources_graph(tmp_path / "g.yaml", "wobbly", 1), detach=False)
    assert RunDriver(store, run.id).drive() == "succeeded"
    assert proxy.cut_midway == 1 and proxy.accepted >= 2
    with store.read() as uow:
        logs = [line.line for line in uow.runs.logs(uow.runs.latest_steps(run.id)["d00"].id)]
    assert any("lost while the step's files were being sent" in line and "trying again on a new connection (2/3)"
               in line for line in logs), logs


def test_a_connection_lost_mid_step_names_step_host_and_what_to_check(ssh_server, proxy: TcpProxy,
                                                                      known_hosts: Path, tmp_path: Path) -> None:
    known_hosts.write_text(ssh_server.known_hosts_line().replace(str(ssh_server.port), str(proxy.port)))
    params = SshParams.from_target("flaky", ssh_params(ssh_server, tmp_path, port=proxy.port))
    engine = SshEngine(params)
    started: list[int] = []

    def on_start(pid: int) -> None:  # the step runs on the host now: the network goes away
        started.append(pid)
        assert proxy.cut() >= 1

    spec = {"node": {"id": "load", "kind": "data_source", "params": {"format": "builtin"}}, "inputs": {},
            "options": {"seed": 0}, "run": {"run_id": 1, "step_id": 7}}
    try:
        outcome = engine.run_step(StepLaunch(spec=spec, workdir=tmp_path / "step", on_start=on_start))
    finally:
        engine.close()
    assert not outcome.ok and started
    error = outcome.result["error"]
    assert "step 'load' (run step 7)" in error and "target 'flaky'" in error
    assert f"{ssh_server.user}@127.0.0.1:{proxy.port} was lost while the step was running" in error
    assert "not run again" in error
    assert "sshd is running" in error and "MaxSessions" in error and "load" in error and "network" in error
    assert f"stopped its process group (pid {started[0]})" in error
    assert outcome.info["connection_lost"] == {"host": params.label, "retried": False}
    with pytest.raises(ProcessLookupError):  # the host is this machine: the step's process is gone
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            os.kill(started[0], 0)
            time.sleep(0.1)
    assert list((tmp_path / "remote-work" / "steps").iterdir()) == []  # its folder removed too
    assert list((tmp_path / "step" / "out").iterdir()) == []  # nothing half-fetched


def test_an_unreachable_host_is_not_retried_as_a_dropped_handshake(ssh_server, known_hosts: Path,
                                                                   tmp_path: Path) -> None:
    engine = SshEngine(SshParams.from_target("gone", ssh_params(ssh_server, tmp_path, port=free_port())))
    began = time.monotonic()
    with pytest.raises(TargetError, match="cannot reach") as refused:
        engine.probe()
    engine.close()
    assert "'gone'" in str(refused.value) and time.monotonic() - began < 5
