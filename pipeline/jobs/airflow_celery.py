"""The CeleryExecutor on one machine (``impartial airflow up --executor celery``).

What the compose file's ``celery`` profile runs, as local processes: Redis (Debian's
``redis-server``) on a free loopback port as the broker, in memory only (it holds only the
queue: a task whose message is lost stays queued until the scheduler's
``task_queued_timeout`` queues it again); the task results in Airflow's metadata database; ``airflow celery worker`` processes, each with a Celery host
name of its own (``worker1@HOST``). A task instance records the host that ran it, and every
worker here shares one, so each worker's tasks record its name instead (:func:`hostname`,
Airflow's ``hostname_callable``): the UI and the REST API then say which worker ran what.

Only the standard library at import time: Airflow imports :func:`hostname` in every task.
The Celery extra (the provider, celery, redis-py) is imported only where a stack starts.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

EXECUTOR = "CeleryExecutor"
WORKER_NAME = "IMPARTIAL_AIRFLOW_WORKER"  # set for each worker: the name its tasks record


class CeleryUnavailable(RuntimeError):
    """Redis or the Celery provider is not installed: the message says how to install it."""


def hostname() -> str:
    """The host name Airflow records on a task instance: ``NAME@HOST`` in a worker started
    here, the machine's name elsewhere."""
    name = os.environ.get(WORKER_NAME)
    return f"{name}@{socket.getfqdn()}" if name else socket.getfqdn()


def redis_server() -> str:
    """The ``redis-server`` program, and a check that the Celery provider is installed."""
    program = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(program, os.X_OK):
        raise CeleryUnavailable(
            "the Celery executor needs Redis: install Debian's redis-server "
            "('apt-get install redis-server', or 'make redis')"
        )
    try:  # by their metadata: importing Airflow here would configure it for this process
        for package in ("apache-airflow-providers-celery", "celery", "redis"):
            metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise CeleryUnavailable(
            "the Celery executor needs the project's celery extra: "
            "pip install -e '.[celery]' (or 'make install')"
        ) from None
    return program


def redis_command(program: str, port: int, folder: Path) -> list[str]:
    """Redis on 127.0.0.1:``port``, nothing saved to disk (its working folder ``folder``)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        program,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(folder),
    ]


def environment(redis_port: int, database_url: str) -> dict[str, str]:
    """The settings every process of a Celery stack gets (the broker and the results)."""
    return {
        "AIRFLOW__CORE__EXECUTOR": EXECUTOR,
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{database_url}",
        # A message not acknowledged in this time is delivered again: twice the longest
        # task's limit (assess, 3 h), so no task still running is started a second time.
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": str(6 * 3600),
    }


def workers(count: int, concurrency: int) -> dict[str, tuple[list[str], dict[str, str]]]:
    """``airflow celery worker`` arguments and extra settings for each of ``count`` workers.

    The workers share this machine's log folder, which the API server reads, so none serves
    logs (they would all want the same port)."""
    return {
        f"worker{n}": (
            [
                "celery",
                "worker",
                "--celery-hostname",
                f"worker{n}@%h",
                "--concurrency",
                str(concurrency),
                "--skip-serve-logs",
            ],
            {
                WORKER_NAME: f"worker{n}",
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{__name__}.hostname",
            },
        )
        for n in range(1, count + 1)
    }


def wait_for_redis(port: int, alive: Callable[[], bool], timeout_s: float = 30) -> None:
    """Wait until Redis answers PING on ``port``; raise if it exits or the time runs out."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)
    deadline = time.monotonic() + timeout_s
    while True:
        if not alive():
            raise CeleryUnavailable(f"redis-server exited before answering on port {port}")
        try:
            if client.ping():
                client.close()
                return
        except redis.RedisError:
            pass
        if time.monotonic() >= deadline:
            raise CeleryUnavailable(f"redis-server did not answer on port {port}")
        time.sleep(0.1)
