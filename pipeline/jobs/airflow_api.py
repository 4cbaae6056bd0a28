"""Airflow 3's public REST API, as an operator's tools use it: a JWT, then ``/api/v2``.

:class:`AirflowApi` signs in at ``/auth/token``, unpauses a DAG, triggers a run *without* a
logical date (as ``airflow dags trigger`` and the UI's trigger button do), and waits for the run
to end. Only ``requests``: nothing here imports Airflow.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

FINISHED = ("success", "failed")


class AirflowApiError(RuntimeError):
    """Airflow answered with an error, or did not answer in time."""


@dataclass
class RunOutcome:
    dag_id: str
    run_id: str
    state: str
    tasks: dict[str, list[str]] = field(default_factory=dict)  # task id -> state per map index
    hostnames: dict[str, list[str]] = field(default_factory=dict)  # task id -> worker per index


class AirflowApi:
    """One signed-in client of an Airflow API server (``base_url`` like http://127.0.0.1:8080)."""

    def __init__(self, base_url: str, username: str, password: str, *, timeout_s: float = 30):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.http = requests.Session()
        answer = self._call(
            "POST", "/auth/token", json={"username": username, "password": password}
        )
        self.http.headers["Authorization"] = f"Bearer {answer['access_token']}"

    def _call(self, method: str, path: str, *, ok: tuple[int, ...] = (), **kwargs: Any) -> Any:
        try:
            response = self.http.request(
                method, self.base_url + path, timeout=self.timeout_s, **kwargs
            )
        except requests.RequestException as exc:
            raise AirflowApiError(f"Airflow at {self.base_url} did not answer: {exc}") from None
        if response.status_code in ok:
            return None
        if response.status_code >= 400:
            raise AirflowApiError(
                f"{method} {path}: HTTP {response.status_code} {response.text[:300]}"
            )
        return response.json() if response.content else None

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/api/v2/monitor/health")

    def set_pool(self, name: str, slots: int, description: str) -> None:
        body = {"name": name, "slots": slots, "description": description}
        if self._call("PATCH", f"/api/v2/pools/{name}", json=body, ok=(404,)) is None:
            self._call("POST", "/api/v2/pools", json={**body, "include_deferred": False})

    def dag(self, dag_id: str, *, wait_s: float = 0) -> dict[str, Any]:
        """The DAG's details; waits up to ``wait_s`` for the DAG processor to register it."""
        deadline = time.monotonic() + wait_s
        while True:
            found = self._call("GET", f"/api/v2/dags/{dag_id}", ok=(404,))
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise AirflowApiError(
                    f"no DAG {dag_id!r} in Airflow at {self.base_url}: is the dag-processor "
                    "running ('impartial airflow status'), and is the DAG id right?"
                )
            time.sleep(0.5)

    def unpause(self, dag_id: str) -> None:
        self._call("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str) -> str:
        """Create a run without a logical date (a manual run, as an operator makes one)."""
        run = self._call("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None})
        return run["dag_run_id"]

    def outcome(self, dag_id: str, run_id: str) -> RunOutcome:
        run = self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
        listed = self._call(
            "GET",
            f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
            params={"limit": 1000, "order_by": "map_index"},
        )
        result = RunOutcome(dag_id, run_id, str(run["state"]))
        for ti in sorted(listed["task_instances"], key=lambda t: (t["task_id"], t["map_index"])):
            result.tasks.setdefault(ti["task_id"], []).append(str(ti["state"]))
            result.hostnames.setdefault(ti["task_id"], []).append(ti.get("hostname") or "")
        return result

    def wait(
        self,
        dag_id: str,
        run_id: str,
        *,
        timeout_s: float,
        progress: Callable[[RunOutcome], None] | None = None,
    ) -> RunOutcome:
        """Poll the run until it succeeds or fails; raise when ``timeout_s`` passes first."""
        deadline = time.monotonic() + timeout_s
        while True:
            result = self.outcome(dag_id, run_id)
            if progress is not None:
                progress(result)
            if result.state in FINISHED:
                return result
            if time.monotonic() >= deadline:
                raise AirflowApiError(
                    f"{dag_id} run {run_id} still {result.state} after {timeout_s:.0f} s: "
                    f"{result.tasks}"
                )
            time.sleep(1)
