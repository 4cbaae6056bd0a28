"""A real Airflow 3 on this machine, run from the project's virtualenv (``impartial airflow``).

The same services as ``docker-compose.yml``, with the same commands (``api-server``,
``scheduler``, ``dag-processor``, ``triggerer``) and settings, as local processes: the metadata
database in PostgreSQL (a database ``airflow`` beside the app's, or
``IMPARTIAL_AIRFLOW_DATABASE_URL``), the API server and UI on 127.0.0.1, ``AIRFLOW_HOME`` under
the data folder, every ``IMPARTIAL_*`` setting passed to every process; with the
CeleryExecutor, Redis and the Celery workers too (``airflow_celery``). Each process leads its
own process group; its pid, start time and log file are recorded in ``stack.json``, so
:func:`down` stops what :func:`up` started, and only that (a recycled pid is not ours).

Airflow runs as subprocesses: nothing here imports ``airflow``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from pipeline.config import Settings, get_settings
from pipeline.db import engine as db_engine
from pipeline.jobs import airflow_celery
from pipeline.jobs.airflow_api import AirflowApi, AirflowApiError
from pipeline.jobs.airflow_local import DAGS_FOLDER, POOLS

AIRFLOW_DATABASE = "airflow"
ADMIN = "admin"
SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
)
# The services and their commands, as in docker-compose.yml (a test compares them).
SERVICES = {
    "api-server": ["api-server"],
    "scheduler": ["scheduler"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer"],
}
STATE = "stack.json"


class StackError(RuntimeError):
    """Airflow could not be started, or is not running: the message says what to do."""


@dataclass
class Process:
    pid: int
    started: float  # psutil's create_time: tells our process from a later one with its pid
    log: str
    command: list[str]

    def alive(self) -> bool:
        try:
            proc = psutil.Process(self.pid)
            return proc.create_time() == self.started and proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False


@dataclass
class Stack:
    home: Path
    port: int
    executor: str
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def password(self) -> str:
        return json.loads((self.home / "passwords.json").read_text())[ADMIN]

    def api(self) -> AirflowApi:
        return AirflowApi(self.url, ADMIN, self.password())

    def save(self) -> None:
        state = {"port": self.port, "executor": self.executor}
        state["processes"] = {name: asdict(p) for name, p in self.processes.items()}
        _private(self.home / STATE, json.dumps(state, indent=2))


def home(settings: Settings | None = None) -> Path:
    """``AIRFLOW_HOME`` of this machine's Airflow: ``data_dir/airflow-stack``."""
    return (settings or get_settings()).data_dir.expanduser().resolve() / "airflow-stack"


def load(folder: Path) -> Stack | None:
    """The stack recorded in ``folder``, or None when none was started there."""
    path = folder / STATE
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    processes = {name: Process(**p) for name, p in state["processes"].items()}
    return Stack(folder, state["port"], state["executor"], processes)


def metadata_url(settings: Settings) -> str:
    """The metadata database: the configured URL, or ``airflow`` on the owner's server
    (created on first use)."""
    if settings.airflow_database_url:
        url = make_url(settings.airflow_database_url)
        if url.drivername in ("postgres", "postgresql"):
            url = url.set(drivername="postgresql+psycopg2")
        return url.render_as_string(hide_password=False)
    owner = db_engine.owner_url(settings)
    engine = create_engine(owner, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %s", (AIRFLOW_DATABASE,)
            ).first()
            if exists is None:
                conn.exec_driver_sql(f'CREATE DATABASE "{AIRFLOW_DATABASE}"')
    finally:
        engine.dispose()
    url = make_url(owner).set(database=AIRFLOW_DATABASE)
    return url.render_as_string(hide_password=False)


def environment(
    folder: Path,
    *,
    port: int,
    health_port: int,
    database_url: str,
    executor: str = "LocalExecutor",
    schedule: bool = True,
    settings: Settings | None = None,
) -> dict[str, str]:
    """What every process of the stack gets: this process's environment, the ``IMPARTIAL_*``
    settings (the data folder made absolute) and Airflow's settings."""
    settings = settings or get_settings()
    keys = _secrets(folder)
    venv_bin = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "IMPARTIAL_DATA_DIR": str(settings.data_dir.expanduser().resolve()),
        "AIRFLOW_HOME": str(folder),
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(folder / "passwords.json"),
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "America/Toronto",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
        "AIRFLOW__API__SECRET_KEY": keys["api_secret_key"],
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "true",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(health_port),
        # off: only triggered runs (the demo, the tests); on: the DAGs' schedules as well
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(schedule).lower(),
    }


def up(
    settings: Settings | None = None,
    *,
    executor: str | None = None,
    workers: int = 2,
    worker_concurrency: int = 2,
    schedule: bool = True,
    extra_env: dict[str, str] | None = None,
    extra_services: dict[str, list[str]] | None = None,
    timeout_s: float = 180,
    log: Callable[[str], None] = lambda _: None,
) -> Stack:
    """Start Airflow (or return the one already running): migrate its database, start the
    services, wait for the API server, set the pools.

    ``executor``: ``LocalExecutor`` (when None and nothing runs) or ``CeleryExecutor``: Redis
    on a free loopback port first, then ``workers`` Celery workers running
    ``worker_concurrency`` tasks each (``pipeline.jobs.airflow_celery``). A stack running with
    another executor is an error: it must be stopped first.
    """
    settings = settings or get_settings()
    folder = home(settings)
    running = load(folder)
    if running is not None:
        if all(p.alive() for p in running.processes.values()):
            if executor not in (None, running.executor):
                raise StackError(
                    f"Airflow is running here with the {running.executor}: stop it first "
                    "with 'impartial airflow down'"
                )
            return running
        down(folder)
    executor = executor or "LocalExecutor"
    celery = executor == airflow_celery.EXECUTOR
    try:
        redis_server = airflow_celery.redis_server() if celery else ""
    except airflow_celery.CeleryUnavailable as exc:
        raise StackError(str(exc)) from None
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "logs").mkdir(exist_ok=True)
    port, redis_port = settings.airflow_port or _free_port(), _free_port()
    database_url = metadata_url(settings)
    env = environment(
        folder,
        port=port,
        health_port=_free_port(),
        database_url=database_url,
        executor=executor,
        schedule=schedule,
        settings=settings,
    )
    env |= (airflow_celery.environment(redis_port, database_url) if celery else {}) | (
        extra_env or {}
    )
    _passwords(folder)
    log("migrating Airflow's metadata database")
    _migrate(folder, env)
    stack = Stack(folder, port, executor)
    services = {name: (args, env) for name, args in (SERVICES | (extra_services or {})).items()}
    if celery:
        services |= {
            name: (args, env | own)
            for name, (args, own) in airflow_celery.workers(workers, worker_concurrency).items()
        }
    try:
        if celery:
            log(f"starting redis on 127.0.0.1:{redis_port}")
            _start_redis(stack, redis_server, redis_port, env)
        for name, (args, own_env) in services.items():
            log(f"starting {name}")
            airflow = str(Path(sys.executable).parent / "airflow")
            stack.processes[name] = _spawn(folder, name, [airflow, *args], own_env)
            stack.save()
        api = _ready(stack, timeout_s)
        for name, slots in POOLS.items():
            api.set_pool(name, slots, f"{name.removeprefix('impartial_')} hosts fetched at once")
    except BaseException:
        down(folder)
        raise
    return stack


def down(folder: Path, *, timeout_s: float = 30) -> list[str]:
    """Stop every process the stack started there (and their children); return their names."""
    stack = load(folder)
    if stack is None:
        return []
    ours = {name: psutil.Process(p.pid) for name, p in stack.processes.items() if p.alive()}
    tree = list(ours.values())
    for proc in ours.values():
        with contextlib.suppress(psutil.Error):
            tree += proc.children(recursive=True)
    for proc in ours.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the group: the service and what it forked
    _, left = psutil.wait_procs(tree, timeout=timeout_s)
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(left, timeout=5)
    (folder / STATE).unlink(missing_ok=True)
    return sorted(ours)


def status(folder: Path) -> tuple[Stack | None, dict[str, bool], dict | None]:
    """The recorded stack, whether each process is alive, and the API server's health."""
    stack = load(folder)
    if stack is None:
        return None, {}, None
    alive = {name: p.alive() for name, p in stack.processes.items()}
    try:
        health = stack.api().health() if alive.get("api-server") else None
    except (AirflowApiError, OSError, KeyError):
        health = None
    return stack, alive, health


def _spawn(folder: Path, name: str, command: list[str], env: dict[str, str]) -> Process:
    logfile = folder / "logs" / f"{name}.log"
    with logfile.open("ab") as out:
        proc = subprocess.Popen(
            command,
            env=env,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, which down() stops as a whole
        )
    return Process(proc.pid, psutil.Process(proc.pid).create_time(), str(logfile), command)


def _start_redis(stack: Stack, program: str, port: int, env: dict[str, str]) -> None:
    """The Celery broker, before the scheduler and the workers that connect to it."""
    command = airflow_celery.redis_command(program, port, stack.home / "redis")
    stack.processes["redis"] = _spawn(stack.home, "redis", command, env)
    stack.save()
    try:
        airflow_celery.wait_for_redis(port, stack.processes["redis"].alive)
    except airflow_celery.CeleryUnavailable as exc:
        raise StackError(f"{exc}:\n{_tail(Path(stack.processes['redis'].log))}") from None


def _migrate(folder: Path, env: dict[str, str]) -> None:
    logfile = folder / "logs" / "db-migrate.log"
    with logfile.open("wb") as out:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
            env=env,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        raise StackError(f"'airflow db migrate' failed:\n{_tail(logfile)}")


def _ready(stack: Stack, timeout_s: float) -> AirflowApi:
    """Wait for the API server to answer and sign in; fail early when a service exits."""
    deadline = time.monotonic() + timeout_s
    while True:
        for name, proc in stack.processes.items():
            if not proc.alive():
                raise StackError(f"Airflow's {name} exited:\n{_tail(Path(proc.log))}")
        try:
            api = stack.api()
            api.health()
            return api
        except AirflowApiError:
            if time.monotonic() >= deadline:
                raise StackError(
                    f"Airflow's API server did not answer on {stack.url} within "
                    f"{timeout_s:.0f} s; see {stack.processes['api-server'].log}"
                ) from None
            time.sleep(0.5)


def _secrets(folder: Path) -> dict[str, str]:
    path = folder / "secrets.json"
    if not path.exists():
        keys = {
            "fernet_key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "api_secret_key": secrets.token_urlsafe(32),
            "jwt_secret": secrets.token_urlsafe(64),
        }
        _private(path, json.dumps(keys))
    return json.loads(path.read_text())


def _passwords(folder: Path) -> None:
    """The admin's password, in the file the simple auth manager reads (kept across runs)."""
    path = folder / "passwords.json"
    if not path.exists():
        _private(path, json.dumps({ADMIN: secrets.token_urlsafe(12)}))


def _private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"
