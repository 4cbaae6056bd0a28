"""The crash probe's rounds: each starts ``impartial scan``, kills it, interrupts it, doubles it
or kills its database at a chosen moment, runs the next scan, and checks what they left.

A fault is kept by what it concerns (a post, an account, a run), so one that lasts is counted
once however many rounds see it again; events (a traceback, a request too many) are counted as
they happen.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any

import sqlalchemy as sa

from benchmarks import _probe_checks as checks
from benchmarks._probe_scans import Launcher, Process
from benchmarks._probe_traffic import Traffic
from pipeline.vocabulary import ACTIVE_SCAN_STATUSES

KINDS = {  # round kind -> the option that says how many
    "ingest_kill": "ingest_kills",
    "assess_kill": "assess_kills",
    "db_kill": "db_kills",
    "concurrent": "concurrent",
    "interrupt": "interrupts",
}
FOUND = (  # faults kept by what they concern
    "lost",
    "duplicated",
    "stored_without_consent",
    "cursors_ahead",
    "assessed_not_once",
    "left_running",
    "false_success",
    "killed_not_interrupted",
    "count_mismatch",
)
EVENTS = ("tracebacks", "not_one_line", "double_requests", "second_scan_requests", "late_requests")
RUNNING_MESSAGE = ("a scan is running since", "wait for it or stop it")
ATTEMPTS = 3  # a round whose kill keeps coming too late is given up after this many
NEXT_COMMANDS = 3  # scans tried after the database was killed, until one completes
DB_POLL_S = 0.02


@dataclass
class Scan:
    process: Process
    posts_before: int | None  # None: the database was down when it started
    after_run: int  # its run is the first one after this id


class Probe:
    def __init__(
        self,
        world: checks.World,
        traffic: Traffic,
        launcher: Launcher,
        engine: sa.Engine,
        data_dir: Path,
        rng: Random,
        *,
        publish: float,
    ) -> None:
        self.world, self.traffic, self.launcher, self.engine = world, traffic, launcher, engine
        self.pgdata = data_dir / "pg"
        self.rng, self.publish = rng, publish
        self.rounds = {kind: {"n": 0, "ok": 0, "missed": 0} for kind in KINDS}
        self.found: dict[str, set[Any]] = defaultdict(set)
        self.events: Counter[str] = Counter()
        self.messages: Counter[str] = Counter()  # the errors printed after a database kill
        self.scans = 0
        self.requests = max(2, len(world.eligible))  # what the last completed scan asked
        self.assess_s = 1.0  # how long the last completed scan's assess stage took
        self.last_run = 0
        self.last_output = ""
        self.last_status: str | None = None  # of the last scan seen through
        self.note = ""  # what the round did, for its progress line
        self._assessing_since = 0.0

    # --- the results ------------------------------------------------------------------------

    @property
    def totals(self) -> dict[str, int]:
        return {**{k: len(self.found[k]) for k in FOUND}, **{k: self.events[k] for k in EVENTS}}

    def posts(self) -> int:
        return checks.posts_stored(self.engine)

    def report(self) -> str:
        lines = [
            f"{k:12} {r['ok']}/{r['n']} ok, {r['missed']} missed" for k, r in self.rounds.items()
        ]
        lines += [f"{k}: {v}" for k, v in self.totals.items() if v]
        return "\n".join(lines)

    # --- scans --------------------------------------------------------------------------------

    def start(self) -> Scan:
        try:
            newest = checks.newest_run(self.engine)
            self.last_run = newest.id if newest else 0
            before: int | None = checks.posts_stored(self.engine)
        except sa.exc.OperationalError:  # the database is down: the scan starts it again
            before = None
        return Scan(self.launcher.scan(), before, self.last_run)

    def row(self, scan: Scan) -> Any:
        """The scan's ``scan_run`` row (None before it took the lease, or the database down)."""
        try:
            row = checks.newest_run(self.engine)
        except sa.exc.OperationalError:
            return None
        return row if row is not None and row.id > scan.after_run else None

    def status(self, scan: Scan) -> str | None:
        threading.Event().wait(DB_POLL_S)
        row = self.row(scan)
        return row.status if row else None

    def finish(self, scan: Scan, *, doubles: bool = True) -> tuple[int, str, str]:
        code, out, err = scan.process.finish()
        self.scans += 1
        self.events["tracebacks"] += "Traceback" in out or "Traceback" in err
        if doubles:
            self.events["double_requests"] += self.traffic.doubles(scan.process.agent)
        self.last_output = (err or out).strip()[-1000:]
        return code, out, err

    def complete(self, scan: Scan | None = None, *, doubles: bool = True) -> tuple[bool, int, str]:
        """Run (or see through) a scan to its end: exit 0, its run ``success`` and its counts
        what it did. Returns (completed, exit code, stderr)."""
        scan = scan or self.start()
        ingested_at = assessed_at = None
        while scan.process.running():  # time its assess stage
            status, now = self.status(scan), time.monotonic()
            if status == "ingested" and ingested_at is None:
                ingested_at = now
            if status not in (None, "running", "ingested") and assessed_at is None:
                assessed_at = now
        code, _, err = self.finish(scan, doubles=doubles)
        row = self.row(scan)
        self.last_status = row.status if row else None
        if code != 0 or row is None or row.status != "success":
            return False, code, err
        if ingested_at is not None and assessed_at is not None:
            self.assess_s = assessed_at - ingested_at
        left = checks.not_assessed_once(self.engine)
        did = checks.assessed_between(self.engine, row.started_at, row.finished_at)
        if row.assessed < did + len(left):
            self.found["false_success"].add(row.id)
        stored = None if scan.posts_before is None else self.posts() - scan.posts_before
        if row.assessed != did or stored not in (None, row.new_posts):
            self.found["count_mismatch"].add(row.id)
        self.requests = max(2, self.traffic.count(scan.process.agent))
        return True, code, err

    def settle(self, killed: list[int]) -> bool:
        """After a completed scan: the stored posts, the assessments and the runs are as they
        should be; ``killed`` runs are marked interrupted. False if a new fault was found."""
        found = self.world.store_faults(self.engine)
        found["assessed_not_once"] = checks.not_assessed_once(self.engine)
        found["left_running"] = checks.active_runs(self.engine)
        found["false_success"] = set()
        found["killed_not_interrupted"] = set()
        for run_id in killed:
            status = checks.run(self.engine, run_id).status
            if status == "success":
                found["false_success"].add(run_id)
            elif status != "interrupted" and status not in ACTIVE_SCAN_STATUSES:
                found["killed_not_interrupted"].add(run_id)
        new = False
        for key, values in found.items():
            new = new or bool(values - self.found[key])
            self.found[key] |= values
        return not new

    def first_scan(self) -> bool:
        return self.complete()[0] and self.settle([])

    # --- rounds -------------------------------------------------------------------------------

    def round(self, kind: str, label: str) -> None:
        started, before = time.monotonic(), dict(self.totals)
        outcome: bool | None = None
        for _ in range(ATTEMPTS):
            self.traffic.forget()
            self.note = ""
            self.world.fleet.publish(self.publish)
            outcome = getattr(self, kind)()
            if outcome is not None:
                break
            self.rounds[kind]["missed"] += 1
        grown = {k: v - before[k] for k, v in self.totals.items() if v > before[k]}
        ok = bool(outcome) and not grown
        self.rounds[kind]["n"] += 1
        self.rounds[kind]["ok"] += ok
        took = time.monotonic() - started
        line = f"round {label} {kind}: {'ok' if ok else 'FAILED'} in {took:.1f} s; {self.note}"
        if not ok:
            line += f" {grown or ''} {self.last_output[-300:]!r}"
        print(line, file=sys.stderr, flush=True)

    def ingest_kill(self) -> bool | None:
        scan = self.start()
        return self._killed(scan, self._in_ingest(scan), "running")

    def assess_kill(self) -> bool | None:
        scan = self.start()
        return self._killed(scan, self._in_assess(scan), "ingested")

    def db_kill(self) -> bool | None:
        scan = self.start()
        at_ingest = self.rng.random() < 0.5
        reached = self._in_ingest(scan) if at_ingest else self._in_assess(scan)
        row = self.row(scan)
        if not reached or row is None or row.status != ("running" if at_ingest else "ingested"):
            return self._missed(scan)
        os.kill(int((self.pgdata / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)
        # it may go on (starting the database again) and complete: its failed accounts are
        # then tried again, so a request asked twice is no fault
        _, ended, err = self.complete(scan, doubles=False)
        self._one_line("the scan whose database was killed", ended, err)
        stage = "ingest" if at_ingest else "assessment"
        self.note = (
            f"postmaster killed during {stage}; the scan then exited {ended} "
            f"(run {self.last_status})"
        )
        completed = False
        for _ in range(NEXT_COMMANDS):
            completed, code, err = self.complete()
            self._one_line("the next scan", code, err)
            if completed:
                break
        # a scan that went on and exited 0 recorded its own ending
        return self.settle([row.id] if ended != 0 else []) and completed

    def concurrent(self) -> bool | None:
        self.traffic.hold_after(self.rng.randint(1, max(1, self.requests // 2)))
        first = self.start()
        if not first.process.wait_for(self.traffic.holding.is_set):
            self.traffic.open()
            return self._missed(first)
        second = self.start()
        code, _, err = self.finish(second)
        asked = self.traffic.count(second.process.agent)
        self.events["second_scan_requests"] += asked
        refused = code == 3 and all(m in err for m in RUNNING_MESSAGE) and asked == 0
        self.note = f"the second scan exited {code} after {asked} request(s)"
        self.traffic.open()
        completed = self.complete(first)[0]
        return self.settle([]) and refused and completed

    def interrupt(self) -> bool | None:
        self.traffic.hold_after(self.rng.randint(1, self.requests - 1))
        scan = self.start()
        if not scan.process.wait_for(self.traffic.holding.is_set):
            self.traffic.open()
            return self._missed(scan)
        counts, held = self.traffic.snapshot()
        scan.process.child.send_signal(signal.SIGINT)
        self.traffic.open()
        code, out, _ = self.finish(scan)
        after, _ = self.traffic.snapshot()
        # a host with a request held at the signal may get nothing more; another, the one
        # request that may have been on its way
        late = sum(max(0, a - c - (h == 0)) for a, c, h in zip(after, counts, held, strict=True))
        self.events["late_requests"] += late
        self.note = (
            f"exit {code}; {sum(after) - sum(counts)} request(s) after the signal, "
            f"{sum(held)} held then"
        )
        row = self.row(scan)
        summary = code == 130 and "Scan summary" in out and "scan run: interrupted" in out
        recorded = row is not None and row.status == "interrupted"
        stored = None if scan.posts_before is None else self.posts() - scan.posts_before
        if recorded and stored not in (None, row.new_posts):
            self.found["count_mismatch"].add(row.id)
        self.found["cursors_ahead"] |= self.world.cursors_ahead(self.engine)
        completed = self.complete()[0]
        return self.settle([]) and summary and recorded and late == 0 and completed

    # --- moments ------------------------------------------------------------------------------

    def _in_ingest(self, scan: Scan) -> bool:
        """Wait until the fleet has answered a random number of the scan's requests."""
        target = self.rng.randint(1, self.requests - 1)
        return scan.process.wait_for(lambda: self.traffic.count(scan.process.agent) >= target)

    def _in_assess(self, scan: Scan) -> bool:
        """Wait until a random moment of the scan's assess stage."""
        if not scan.process.wait_for(lambda: self.status(scan) == "ingested"):
            return False
        self._assessing_since = time.monotonic()
        at = self._assessing_since + self.rng.uniform(0, self.assess_s)
        return scan.process.wait_for(lambda: time.monotonic() >= at)

    def _killed(self, scan: Scan, reached: bool, stage: str) -> bool | None:
        """SIGKILL the scan; if it was in ``stage``, check the cursors, complete a scan and
        settle. None if the kill came too late."""
        scan.process.child.kill()
        into = time.monotonic() - self._assessing_since
        self.finish(scan)
        row = self.row(scan)
        asked = self.traffic.count(scan.process.agent)
        self.note = (
            f"killed after {asked} of ~{self.requests} requests"
            if stage == "running"
            else f"killed {into:.2f} s into assessment (the last took {self.assess_s:.2f} s)"
        )
        if not reached or row is None or row.status != stage:
            self.note += f", too late (run {row.status if row else 'not started'})"
            killed = [row.id] if row is not None and row.status in ACTIVE_SCAN_STATUSES else []
            self.complete()
            self.settle(killed)
            return None
        self.found["cursors_ahead"] |= self.world.cursors_ahead(self.engine)
        completed = self.complete()[0]
        return self.settle([row.id]) and completed

    def _missed(self, scan: Scan) -> None:
        """The moment passed: let the scan end as it does, and settle."""
        self.complete(scan)
        self.settle([])
        return None

    def _one_line(self, which: str, code: int, err: str) -> None:
        """A command during or after a database kill either completes or says why in one
        line; ``messages`` counts how each ended, by ``which`` command it was."""
        lines = [line for line in err.splitlines() if line.strip()]
        if code == 0:
            self.messages[f"{which}: exit 0, run {self.last_status}"] += 1
            return
        self.events["not_one_line"] += len(lines) != 1
        said = lines[-1] if lines else f"exit {code}, nothing said"
        shape = re.sub(r"/\S+", "PATH", re.sub(r"\d+", "N", said))
        self.messages[f"{which}: {shape}"[:200]] += 1
