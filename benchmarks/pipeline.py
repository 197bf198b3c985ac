"""End-to-end throughput, ingest->alert latency, peak RSS, and route time per post as the store grows.

Run by hand from the repository root (the machine's load shows in the figures; compare within a run):

    python benchmarks/pipeline.py route --sizes 1000,10000,100000
    python benchmarks/pipeline.py e2e --posts 20000 [--pg-url postgresql+psycopg://postgres@127.0.0.1/postgres]
    python benchmarks/pipeline.py e2e --posts 3000 --rate 50      # latency at an offered load
    python benchmarks/pipeline.py e2e --posts 3000 --foreign 0.3  # English, then 3 posts in 10 in other languages
    python benchmarks/pipeline.py soak --minutes 60 --rate 10     # memory over an hour

`route` fills a SQLite store with replayed posts (labels from the classifier, computed once per
distinct demo post) and times the route stage on the next `--probe` posts at each size.
`e2e` runs real daemons (`earshot run`, loopback alert channels) over replayed posts: one on
SQLite, then one and two on PostgreSQL when `--pg-url` is given, each in its own process.
`soak` runs one such daemon on SQLite at an offered rate and samples its RSS as it goes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.e2e import run_e2e, run_soak  # noqa: E402
from benchmarks.replayed import demo_posts, replayed  # noqa: E402


def labeller(kind: str):  # noqa: ANN201 - a function posts -> labels
    """Labels per post, computed once per distinct demo text (copies differ only in two rare words)."""
    from bot.app.config import load_config
    from classifiers import load_classifier
    from classifiers.stub import StubClassifier

    classifier = StubClassifier() if kind == "stub" else load_classifier(load_config(REPO / "config.yaml").classifier)
    base = demo_posts()
    by_text = dict(zip((p.text for p in base), classifier.classify(base), strict=True))
    return lambda posts: [by_text.get(p.text.rsplit(" w", 2)[0]) or classifier.classify([p])[0] for p in posts]


def route_curve(sizes: list[int], probe: int, kind: str) -> list[tuple[int, float, float, float]]:
    """(size, wall ms, CPU ms, SQL statements) per routed post, right after the store reached each size.

    CPU time is this process's own: on a loaded machine it moves far less than wall time.
    """
    import logging

    from sqlalchemy import event

    from bot.app.config import load_config
    from bot.app.daemon import build_route_stage
    from bot.store import Store
    from bot.store.stages import STAGE_INGESTED

    logging.disable(logging.CRITICAL)
    config = load_config(REPO / "config.yaml")
    label = labeller(kind)
    folder = Path(tempfile.mkdtemp(prefix="earshot-bench-"))
    store = Store.open(f"sqlite:///{folder / 'route.db'}")
    stage = build_route_stage(config, store)
    posts = replayed(max(sizes) + probe)
    statements = [0]
    event.listen(store.engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))
    stored, curve = 0, []

    def add(upto: int) -> tuple[float, float, int]:
        nonlocal stored
        wall = cpu = 0.0
        sql = 0
        for start in range(stored, upto, 1000):
            chunk = posts[start : min(upto, start + 1000)]
            store.save_batch("bench", chunk, None)
            pending = store.pending(STAGE_INGESTED, len(chunk))
            labels = label([item.post for item in pending])
            store.save_labels([(item.id, lab) for item, lab in zip(pending, labels, strict=True)])
            began, began_cpu, began_sql = time.perf_counter(), time.process_time(), statements[0]
            while stage.run_once():
                pass
            wall += time.perf_counter() - began
            cpu += time.process_time() - began_cpu
            sql += statements[0] - began_sql
        stored = upto
        return wall, cpu, sql

    for size in sizes:
        add(size)
        wall, cpu, sql = add(size + probe)
        curve.append((size, 1000 * wall / probe, 1000 * cpu / probe, sql / probe))
        print(
            f"  route: {size:>7} stored -> {curve[-1][1]:.2f} ms/post wall, {curve[-1][2]:.2f} ms CPU, "
            f"{curve[-1][3]:.1f} SQL statements",
            flush=True,
        )
    return curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    route = sub.add_parser("route", help="route time per post at several store sizes")
    route.add_argument("--sizes", default="1000,10000")
    route.add_argument("--probe", type=int, default=500)
    route.add_argument("--classifier", choices=("model", "stub"), default="model")
    e2e = sub.add_parser("e2e", help="real daemons over replayed posts: throughput, latency, RSS")
    e2e.add_argument("--posts", type=int, default=3000)
    e2e.add_argument("--rate", type=float, default=0.0, help="offered posts/s (0: all at once)")
    e2e.add_argument("--batch", type=int, default=128, help="classifier batch size")
    e2e.add_argument("--pg-url", default="", help="a PostgreSQL server URL (a fresh database is made per run)")
    e2e.add_argument("--classifier", choices=("model", "stub"), default="model")
    e2e.add_argument("--threads", type=int, default=1, help="the model worker's threads (each process)")
    e2e.add_argument("--foreign", type=float, default=0.0, help="also run with this share of posts not in English")
    soak = sub.add_parser("soak", help="one daemon at an offered rate for a long while: RSS over time")
    soak.add_argument("--minutes", type=float, default=60)
    soak.add_argument("--rate", type=float, default=10, help="offered posts/s")
    soak.add_argument("--every", type=float, default=60, help="seconds between RSS samples")
    soak.add_argument("--batch", type=int, default=128, help="classifier batch size")
    soak.add_argument("--classifier", choices=("model", "stub"), default="model")
    soak.add_argument("--trace-every", type=float, default=0, help="write tracemalloc growth every N s (slower)")
    args = parser.parse_args()
    if args.what == "soak":
        print(json.dumps(run_soak(args), indent=2))
        return
    if args.what == "route":
        sizes = [int(s) for s in args.sizes.split(",")]
        curve = route_curve(sizes, args.probe, args.classifier)
        first, last = curve[0], curve[-1]
        print(
            f"route time per post (CPU): {', '.join(f'{n}: {cpu:.2f} ms' for n, _, cpu, _ in curve)}; "
            f"{last[2] / first[2]:.2f}x CPU, {last[1] / first[1]:.2f}x wall, from {first[0]} to {last[0]} stored "
            "(target <= 1.5x)"
        )
        return
    print(json.dumps(run_e2e(args), indent=2))


if __name__ == "__main__":
    os.chdir(REPO)
    main()
