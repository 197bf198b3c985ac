"""Classification across processes on one PostgreSQL: posts/s with 1 and with 2 classifying processes.

Run by hand from the repository root:

    python benchmarks/fleet.py --pg-url postgresql+psycopg://postgres@127.0.0.1/postgres [--posts 4000]

Each run fills a fresh database with `--posts` replayed posts at `ingested`, starts N processes that
each load the shipped classifier with one torch thread, in its worker process as the daemon does,
and run only the classify stage (`Pipeline.classify_pending` in the daemon's classify lanes:
batches claimed `FOR UPDATE SKIP LOCKED`), lets them go together once
all are loaded, and times until no post is left to classify. Every post must be classified once.
Routing and delivery are left out on purpose: this isolates the claim that classification scales
with processes (the whole pipeline is `pipeline.py e2e`). On a 2-core machine two processes are all
the cores there are; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def worker(config_path: str, folder: str) -> None:
    """One classifying process: load, say ready, wait for go, classify until nothing is left."""
    import logging

    from bot.app.config import load_config
    from bot.app.daemon import build_pipeline

    logging.disable(logging.CRITICAL)
    pipeline = build_pipeline(load_config(config_path))
    pipeline.classifier  # noqa: B018 - load the model before the clock starts
    Path(folder, f"ready-{os.getpid()}").write_text("1")
    while not Path(folder, "go").exists():
        time.sleep(0.05)
    done: list[int] = []  # as the daemon does: one classify lane per `classify_lanes`, one model worker
    lanes = [
        threading.Thread(target=lambda: done.append(pipeline.classify_pending()))
        for _ in range(pipeline.classify_lanes)
    ]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join()
    pipeline.close()
    Path(folder, f"done-{os.getpid()}").write_text(str(sum(done)))


def _fill(url: str, count: int) -> None:
    from benchmarks.replayed import replayed
    from bot.store import Store

    store = Store.open(url)
    posts = replayed(count)
    for start in range(0, count, 1000):
        store.save_batch("bench", posts[start : start + 1000], None)
    store.engine.dispose()


def _left(url: str) -> tuple[int, int]:
    """(posts still at `ingested`, classification rows)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as c:
        left = c.execute(text("SELECT count(*) FROM post WHERE stage = 'ingested'")).scalar() or 0
        labelled = c.execute(text("SELECT count(*) FROM classification")).scalar() or 0
    engine.dispose()
    return int(left), int(labelled)


def run(admin_url: str, posts: int, processes: int, batch: int, own_process: bool) -> dict[str, object]:
    """Fill a fresh database, classify it with `processes` processes; their posts/s."""
    import yaml

    from benchmarks.e2e import bench_config, fresh_pg

    folder = Path(tempfile.mkdtemp(prefix="earshot-fleet-"))
    url = fresh_pg(admin_url)
    _fill(url, posts)
    config = bench_config(folder, url, batch, threads=1)
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    document["classifier"]["own_process"] = own_process
    config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, __file__, "worker", str(config), str(folder)], cwd=REPO, env=env)
        for _ in range(processes)
    ]
    try:
        while len(list(folder.glob("ready-*"))) < processes:
            if any(p.poll() is not None for p in procs):
                raise SystemExit("a worker exited before it was ready")
            time.sleep(0.2)
        started = time.monotonic()
        (folder / "go").write_text("1")
        for p in procs:
            p.wait()
        seconds = time.monotonic() - started
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    left, labelled = _left(url)
    shares = [int(f.read_text()) for f in folder.glob("done-*")]
    return {
        "processes": processes,
        "posts": posts,
        "seconds": round(seconds, 1),
        "posts_per_s": round(posts / seconds, 1),
        "each_classified": sorted(shares),
        "left_unclassified": left,
        "classification_rows": labelled,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-url", required=True, help="a PostgreSQL server URL (a fresh database per run)")
    parser.add_argument("--posts", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=128, help="classifier batch size")
    parser.add_argument("--in-process", action="store_true", help="the model in each process, one classify lane")
    args = parser.parse_args()
    results = [run(args.pg_url, args.posts, n, args.batch, not args.in_process) for n in (1, 2)]
    for result in results:
        print(json.dumps(result), flush=True)
    print(f"2 processes / 1 process: {results[1]['posts_per_s'] / results[0]['posts_per_s']:.2f}x (target >= 1.6x)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        worker(sys.argv[2], sys.argv[3])
    else:
        os.chdir(REPO)
        main()
