"""Crash probe of ``impartial scan``: scans killed, interrupted, run two at once and left
without their database, round after round, each round checked for lost, doubled or misrecorded
work.

    python benchmarks/crash_probe.py --json      # 300 accounts on 6 fake hosts, 48 rounds
    python benchmarks/crash_probe.py --ingest-kills 3 --assess-kills 2 --db-kills 2 \\
        --concurrent 2 --interrupts 2 --json

Every scan is a separate ``impartial scan`` process. The data folder is a throwaway one, with
the embedded PostgreSQL started on demand there (as on a fresh machine); the fleet of fake hosts
(``benchmarks._fleet``: official accounts, personal ones with consent and personal ones
without) runs in this process and puts every request down to the process that made it. The
model is the fake one, the hashed bag-of-words embedder (model id ``fake-bow``, swapped in by a
launcher since no setting selects it: ``benchmarks._probe_scans``); ``--model real`` runs the
plain command with the configured model (each scan then loads it). Before every round, new posts
and a few edits are published for part of the accounts, so every round has new work.

The rounds, in a seeded random order:

- ingest kill: SIGKILL a scan once the fleet has answered a random number of its requests, then
  a scan to completion;
- assess kill: SIGKILL a scan at a random moment of its assess stage (its ``scan_run`` row says
  ``ingested``; the moment drawn within the length of that stage in the last completed scan),
  then a scan to completion;
- db kill: SIGKILL the embedded PostgreSQL's postmaster (its pid from ``postmaster.pid``) at
  one of those moments of a scan; the scan either starts the server again itself and goes on,
  or stops with a one-line error; then ``impartial scan`` again, until one completes (each
  one either completes or prints a one-line error); ``db_kill_outcomes`` counts how they
  ended;
- concurrent: while a scan's requests are held mid-ingest, a second scan: it exits 3 with the
  message and asks the fleet nothing; the first then completes;
- interrupt: SIGINT while a scan's requests are held: exit 130 with the summary, its row
  ``interrupted`` with the posts it stored, and per host no request after the signal beyond
  the one then in flight; then a scan to completion.

After every round (``benchmarks._probe_checks``): posts lost, duplicated or stored without
consent; cursors ahead of the stored posts (also right after every kill and interrupt); posts
not assessed exactly once by the live classifier; runs left active; runs marked ``success``
with fewer posts assessed than they did and left; killed runs not marked ``interrupted``; runs
whose counts are not what they stored or assessed; tracebacks in any output; requests one scan
made twice. A kill that came after its stage had ended counts as ``missed`` and the round is run
again (at most three times). The last line printed is one JSON object; ``rounds`` gives for each
kind the rounds run and those that passed every check; the exit code is 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as a script, this folder would come first on sys.path and benchmarks/queue.py would
# shadow the standard library's queue module: put the project root there instead.
if str(Path(__file__).resolve().parent) in sys.path:
    sys.path.remove(str(Path(__file__).resolve().parent))
if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlalchemy.orm import Session

from benchmarks._fleet import Fleet, register
from benchmarks._probe_checks import World
from benchmarks._probe_rounds import KINDS, Probe
from benchmarks._probe_scans import FAKE_MODEL_ID, Launcher, environment
from benchmarks._probe_traffic import Traffic
from pipeline.registry.consent import grant_consent
from pipeline.registry.people import add_person

ACTOR = "benchmark:crash_probe"


def registered(engine: sa.Engine, fleet: Fleet, share: float, rng: random.Random) -> World:
    """Register the fleet: ``share`` of the accounts personal (two thirds of their owners with
    consent), the rest official. Returns the world the checks compare with."""
    owners: dict[str, str] = {}
    consenting: set[str] = set()
    with Session(engine) as session:
        for h, (_, accounts) in enumerate(fleet.hosts):
            for a, account in enumerate(accounts):
                if rng.random() >= share:
                    continue
                email = owners[account["handle"]] = f"owner-h{h}a{a}@example.org"
                add_person(session, email, name=f"Owner {h}-{a}", org_unit="Probe", actor=ACTOR)
                if rng.random() < 2 / 3:
                    consenting.add(email)
        session.commit()
    ids = register(engine, fleet.describe(), actor=ACTOR, owners=owners)
    with Session(engine) as session:
        for email in sorted(consenting):
            grant_consent(session, email, evidence="crash probe opt-in", actor=ACTOR)
        session.commit()
    eligible = {
        account_id
        for (_, accounts), host_ids in zip(fleet.hosts, ids, strict=True)
        for account, account_id in zip(accounts, host_ids, strict=True)
        if owners.get(account["handle"]) in (None, *consenting)
    }
    return World(fleet, ids, eligible)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Example: python benchmarks/crash_probe.py --ingest-kills 3 --assess-kills 2 "
        "--db-kills 2 --concurrent 2 --interrupts 2 --json",
    )
    parser.add_argument("--accounts", type=int, default=300, help="accounts in the fleet")
    parser.add_argument("--hosts", type=int, default=6, help="fake hosts they are spread over")
    parser.add_argument("--ingest-kills", type=int, default=20, help="SIGKILL during ingest")
    parser.add_argument("--assess-kills", type=int, default=8, help="SIGKILL during assessment")
    parser.add_argument("--db-kills", type=int, default=10, help="SIGKILL the postmaster")
    parser.add_argument("--concurrent", type=int, default=5, help="two scans at once")
    parser.add_argument("--interrupts", type=int, default=5, help="SIGINT during ingest")
    parser.add_argument(
        "--publish", type=float, default=0.6, help="share of accounts with new posts per round"
    )
    parser.add_argument(
        "--personal", type=float, default=0.15, help="share of personal accounts (2/3 consent)"
    )
    parser.add_argument(
        "--model",
        choices=("fake", "real"),
        default="fake",
        help="fake: the hashed bag-of-words embedder (fast); real: the configured model",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep", action="store_true", help="keep the data folder (server stopped) to look into"
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    if args.accounts < args.hosts or args.hosts < 1:
        parser.error("--accounts must be at least --hosts, and --hosts at least 1")
    if min(args.ingest_kills, args.assess_kills, args.db_kills, args.concurrent) < 0:
        parser.error("round counts cannot be negative")
    if args.interrupts < 0 or not 0 < args.publish <= 1 or not 0 <= args.personal <= 1:
        parser.error("--interrupts must be >= 0, --publish in (0, 1], --personal in [0, 1]")
    return args


def main() -> None:
    args = parse()
    say = (lambda *_: None) if args.json else print
    started = time.perf_counter()
    rng = random.Random(args.seed)
    data_dir = Path(tempfile.mkdtemp(prefix="impartial-probe-"))
    fake_model = args.model == "fake"
    launcher = Launcher(environment(data_dir, fake_model=fake_model), fake_model=fake_model)
    fleet = Fleet(args.accounts, args.hosts, args.seed)
    try:
        code, out, err = launcher.run("db", "upgrade")
        if code != 0:
            raise SystemExit(f"crash probe: 'impartial db upgrade' failed: {err or out}")
        owner_url = launcher.run("db", "url", "--owner")[1].strip()
        # pre-ping: the probe's connections outlive the servers it kills
        engine = sa.create_engine(owner_url, pool_size=2, pool_pre_ping=True)
        world = registered(engine, fleet, args.personal, rng)
        traffic = Traffic(fleet)
        probe = Probe(world, traffic, launcher, engine, data_dir, rng, publish=args.publish)
        say(
            f"{len(world.accounts)} accounts ({len(world.eligible)} eligible) on "
            f"{args.hosts} fake hosts; data folder {data_dir}"
        )
        if not probe.first_scan():
            raise SystemExit(f"crash probe: the first scan did not complete: {probe.last_output}")
        plan = [kind for kind, option in KINDS.items() for _ in range(getattr(args, option))]
        rng.shuffle(plan)
        for number, kind in enumerate(plan, 1):
            probe.round(kind, f"{number}/{len(plan)}")
        posts = probe.posts()
        engine.dispose()
    finally:
        fleet.stop()
        launcher.run("db", "stop")
        if args.keep:
            print(f"data folder kept: {data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    result: dict[str, Any] = {
        "rounds": probe.rounds,
        **probe.totals,
        "db_kill_outcomes": dict(probe.messages.most_common()),
        "scans": probe.scans,
        "accounts": len(world.accounts),
        "eligible": len(world.eligible),
        "hosts": args.hosts,
        "posts": posts,
        "model": FAKE_MODEL_ID if fake_model else "configured",
        "seed": args.seed,
        "seconds": round(time.perf_counter() - started, 1),
    }
    say(probe.report())
    print(json.dumps(result))
    if any(r["ok"] < r["n"] for r in probe.rounds.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
