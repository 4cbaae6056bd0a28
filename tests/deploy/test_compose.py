"""docker-compose.yml is a valid Compose file with the services, profiles and secrets we need."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SECRETS = (
    "POSTGRES_PASSWORD",
    "POSTGRES_APP_PASSWORD",
    "AIRFLOW_DB_PASSWORD",
    "AIRFLOW_ADMIN_PASSWORD",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_JWT_SECRET",
    "IMPARTIAL_SECRET_KEY",
)
AIRFLOW_SERVICES = (
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_validates_against_the_compose_specification() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_default_stack_has_database_airflow_and_review_app(compose: dict) -> None:
    default = {name for name, svc in compose["services"].items() if not svc.get("profiles")}
    assert default == {"postgres", "airflow-init", *AIRFLOW_SERVICES, "review"}


def test_celery_profile_adds_redis_and_workers(compose: dict) -> None:
    celery = {
        name for name, svc in compose["services"].items() if "celery" in svc.get("profiles", [])
    }
    assert {"redis", "airflow-worker"} <= celery
    worker = compose["services"]["airflow-worker"]
    assert worker["command"] == "celery worker"
    assert worker["depends_on"]["redis"] == {"condition": "service_healthy"}


def test_postgres_is_pgvector_with_healthcheck_and_volume(compose: dict) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("pgvector/pgvector:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(v.startswith("postgres-data:") for v in postgres["volumes"])
    assert "postgres-data" in compose["volumes"]


def test_airflow_waits_for_a_healthy_database_and_a_finished_init(compose: dict) -> None:
    for name in (*AIRFLOW_SERVICES, "review"):
        depends = compose["services"][name]["depends_on"]
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert depends["airflow-init"] == {"condition": "service_completed_successfully"}, name
    assert compose["services"]["airflow-init"]["depends_on"]["postgres"] == {
        "condition": "service_healthy"
    }


def test_init_migrates_both_databases_creates_pools_and_admin(compose: dict) -> None:
    script = compose["services"]["airflow-init"]["command"][-1]
    assert "airflow db migrate" in script
    assert "impartial db upgrade" in script
    for platform in ("mastodon", "bluesky", "rss"):
        assert f"airflow pools set impartial_{platform}" in script
    assert "airflow users create --role Admin" in script


def test_the_app_connects_as_its_own_role_and_only_init_migrates_as_the_owner(
    compose: dict,
) -> None:
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        if "IMPARTIAL_DATABASE_URL" in env:
            app_url = env["IMPARTIAL_DATABASE_URL"]
            assert app_url.startswith("postgresql+psycopg2://impartial_app:"), name
            assert "POSTGRES_APP_PASSWORD" in app_url and "POSTGRES_PASSWORD" not in app_url
        owner = "IMPARTIAL_DATABASE_OWNER_URL" in env
        assert owner == (name == "airflow-init"), f"{name} must not have the owner's URL"
    init = compose["services"]["airflow-init"]["environment"]["IMPARTIAL_DATABASE_OWNER_URL"]
    assert "${POSTGRES_USER:-impartial}:${POSTGRES_PASSWORD:?" in init


def test_local_executor_is_the_default(compose: dict) -> None:
    env = compose["services"]["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/impartial/dags"


def test_review_app_serves_on_all_interfaces(compose: dict) -> None:
    review = compose["services"]["review"]
    assert review["entrypoint"] == ["impartial"]
    assert review["command"][:3] == ["serve", "--host", "0.0.0.0"]
    assert "IMPARTIAL_DATABASE_URL" in review["environment"]


def test_every_secret_is_required_and_none_is_written_in_the_file() -> None:
    text = COMPOSE.read_text()
    for name in SECRETS:
        assert re.search(r"\$\{" + name + r":\?[^}]+\}", text), name
        assert not re.search(rf"\${{{name}:-", text), f"{name} must not have a default"
    example = (ROOT / ".env.example").read_text()
    assert all(f"{name}=" in example for name in SECRETS)


def test_image_is_official_airflow_with_cpu_torch_and_the_project() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG AIRFLOW_VERSION=3\.3\.\d+$", dockerfile, re.M)
    assert re.search(r"^ARG PYTHON_VERSION=3\.12$", dockerfile, re.M)
    assert "FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}" in dockerfile
    assert "torch==2.13.0" in dockerfile and "download.pytorch.org/whl/cpu" in dockerfile
    torch_at = dockerfile.index("torch==2.13.0")
    assert torch_at < dockerfile.index('-e "/opt/impartial[celery]"'), "torch before the project"


def test_image_installs_the_project_within_airflows_constraints() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    constraints = (
        "https://raw.githubusercontent.com/apache/airflow/"
        "constraints-${AIRFLOW_VERSION}/constraints-${PYTHON_VERSION}.txt"
    )
    assert f"ARG AIRFLOW_CONSTRAINTS={constraints}" in dockerfile
    install = dockerfile[dockerfile.index('-e "/opt/impartial[celery]"') - 200 :]
    assert '--constraint "${AIRFLOW_CONSTRAINTS}"' in install
    assert '"apache-airflow==${AIRFLOW_VERSION}"' in install


def test_the_celery_extra_pins_a_celery_the_workers_run_with() -> None:
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    celery = {re.split(r"[\[<>=]", spec, maxsplit=1)[0]: spec for spec in extras["celery"]}
    assert "apache-airflow-providers-celery" in celery
    assert celery["celery"].endswith(">=5.5,<5.7")  # 5.7.0 crashes the workers


def test_airflow_has_its_own_database_and_login_not_the_superuser(compose: dict) -> None:
    init = (ROOT / "deploy" / "postgres" / "10-airflow-database.sh").read_text()
    assert "CREATE ROLE airflow LOGIN PASSWORD :'airflow_password'" in init
    assert "CREATE DATABASE airflow OWNER airflow" in init
    assert "AIRFLOW_DB_PASSWORD" in compose["services"]["postgres"]["environment"]
    for name in (*AIRFLOW_SERVICES, "airflow-worker", "airflow-init"):
        env = compose["services"][name]["environment"]
        for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND"):
            assert "://airflow:${AIRFLOW_DB_PASSWORD:?" in env[key], (name, key)
            assert "POSTGRES_PASSWORD" not in env[key], (name, key)
        # only the one-shot init, which migrates, may hold the superuser's password
        holds = any(
            "POSTGRES_PASSWORD}" in str(v) or "POSTGRES_PASSWORD:?" in str(v) for v in env.values()
        )
        assert holds == (name == "airflow-init"), name


# What 'impartial airflow up' may set differently from the compose file, and why.
LOCAL_DIFFERENCES = {
    # the FAB provider is not in the project's virtualenv: Airflow's own simple auth manager
    "AIRFLOW__CORE__AUTH_MANAGER",
    # paths, addresses and secrets of this machine
    "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET",
}


def test_the_local_airflow_runs_the_services_with_the_compose_files_commands_and_settings(
    compose: dict, tmp_path: Path
) -> None:
    from pipeline.jobs import airflow_stack

    for name, args in airflow_stack.SERVICES.items():
        service = "airflow-apiserver" if name == "api-server" else f"airflow-{name}"
        assert compose["services"][service]["command"] == " ".join(args), name
    local = airflow_stack.environment(
        tmp_path, port=8080, health_port=8974, database_url="postgresql+psycopg2:///airflow"
    )
    deployed = {
        key: value
        for key, value in compose["services"]["airflow-scheduler"]["environment"].items()
        if key.startswith("AIRFLOW__") and not key.startswith("AIRFLOW__CELERY__")
    }
    missing = sorted(key for key in deployed if key not in local)
    assert missing == []
    for key, value in deployed.items():
        if key in LOCAL_DIFFERENCES:
            continue
        expected = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))  # a variable's default
        assert local[key].lower() == expected.lower(), key
    assert local["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8080/execution/"
    assert local["AIRFLOW__API__HOST"] == "127.0.0.1"


def test_the_local_celery_workers_run_the_compose_files_worker_command_and_settings(
    compose: dict,
) -> None:
    from pipeline.jobs import airflow_celery

    command = compose["services"]["airflow-worker"]["command"]
    for args, _ in airflow_celery.workers(2, 1).values():
        assert " ".join(args[:2]) == command
    deployed = {
        key
        for key in compose["services"]["airflow-worker"]["environment"]
        if key.startswith("AIRFLOW__CELERY__")
    }
    local = airflow_celery.environment(6379, "postgresql+psycopg2:///airflow")
    assert deployed and deployed <= set(local)
    assert local["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+postgresql+psycopg2:///airflow"


# Settings that compose sets itself, or that only the local stack (`impartial airflow up`) uses.
COMPOSE_MANAGED = {"database_url", "data_dir", "secret_key", "model"}
LOCAL_STACK_ONLY = {"database_owner_url", "airflow_database_url", "airflow_port"}


def test_every_setting_reaches_the_services_from_env(compose: dict) -> None:
    from pipeline.config import Settings

    env = compose["x-impartial-env"]
    expected = {f"IMPARTIAL_{name.upper()}" for name in Settings.model_fields}
    missing = expected - set(env) - {f"IMPARTIAL_{name.upper()}" for name in LOCAL_STACK_ONLY}
    assert missing == set()
    for name in set(Settings.model_fields) - COMPOSE_MANAGED - LOCAL_STACK_ONLY:
        variable = f"IMPARTIAL_{name.upper()}"
        assert env[variable] == f"${{{variable}:-}}", variable


def test_a_setting_left_empty_by_compose_takes_its_default(
    compose: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pipeline.config import Settings

    monkeypatch.chdir(tmp_path)  # no .env here
    for variable, value in compose["x-impartial-env"].items():
        if value.endswith(":-}"):
            monkeypatch.setenv(variable, "")
    settings = Settings(secret_key="k" * 40)
    defaults = Settings.model_construct()
    for name in set(Settings.model_fields) - COMPOSE_MANAGED - LOCAL_STACK_ONLY:
        assert getattr(settings, name) == getattr(defaults, name), name
