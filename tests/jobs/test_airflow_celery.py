"""The Celery workers ``impartial airflow up --executor celery`` starts, without starting them."""

from __future__ import annotations

import socket

import pytest

from pipeline.jobs import airflow_celery


def test_each_worker_has_its_own_name_and_its_tasks_record_it_as_their_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workers = airflow_celery.workers(2, 1)
    assert list(workers) == ["worker1", "worker2"]
    for name, (args, env) in workers.items():
        assert args[args.index("--celery-hostname") + 1] == f"{name}@%h"
        assert args[args.index("--concurrency") + 1] == "1"
        assert env["AIRFLOW__CORE__HOSTNAME_CALLABLE"] == "pipeline.jobs.airflow_celery.hostname"
        monkeypatch.setenv(airflow_celery.WORKER_NAME, env[airflow_celery.WORKER_NAME])
        assert airflow_celery.hostname() == f"{name}@{socket.getfqdn()}"
    monkeypatch.delenv(airflow_celery.WORKER_NAME)
    assert airflow_celery.hostname() == socket.getfqdn()


def test_redis_keeps_nothing_on_disk_and_listens_on_loopback_only(tmp_path) -> None:
    command = airflow_celery.redis_command("/usr/bin/redis-server", 6390, tmp_path / "redis")
    options = dict(zip(command[1::2], command[2::2], strict=True))
    assert options == {
        "--port": "6390",
        "--bind": "127.0.0.1",
        "--save": "",
        "--appendonly": "no",
        "--dir": str(tmp_path / "redis"),
    }


def test_without_redis_installed_up_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(airflow_celery.shutil, "which", lambda _: None)
    monkeypatch.setattr(airflow_celery.os, "access", lambda *_: False)
    with pytest.raises(airflow_celery.CeleryUnavailable, match="apt-get install redis-server"):
        airflow_celery.redis_server()
