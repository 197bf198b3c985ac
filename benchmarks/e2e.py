"""The end-to-end runs of benchmarks/pipeline.py: real daemons over replayed posts, loopback alert channels.

Each daemon is `python benchmarks/e2e.py daemon CONFIG POSTS RATE` in its own process: the real
pipeline (`build_pipeline`, `run_forever`) with its sources replaced by one in-memory source that
yields the replayed posts at the offered rate, stamping each with the moment it is handed over.
The parent watches the database until every post is routed and every alert sent, then stops the
daemons with SIGTERM and reads their peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


class BenchCursor:
    """How many posts were handed over, stored as `{"done": n}` (a connector cursor's to_json/load)."""

    def __init__(self, done: int = 0) -> None:
        self.done = done

    def to_json(self) -> dict[str, Any]:
        return {"done": self.done}

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> BenchCursor | None:
        return cls(int(data["done"])) if data else None


class BenchSource:
    """Replayed posts, `rate` per second (0: as fast as they are taken), cursor = how many were handed over."""

    name = "bench"
    cursor_type = BenchCursor
    interval_seconds = 1

    def __init__(self, count: int, rate: float) -> None:
        from benchmarks.replayed import replayed

        self.posts, self.rate = replayed(count, foreign=float(os.environ.get("EARSHOT_BENCH_FOREIGN", 0))), rate
        self.started: float | None = None  # the offered load starts with the first fetch

    def fetch(self, cursor: BenchCursor | None) -> Any:
        from connectors.base import Batch

        done = (cursor or BenchCursor()).done
        self.started = self.started or time.monotonic()
        due = len(self.posts) if self.rate <= 0 else int((time.monotonic() - self.started) * self.rate)
        upto = min(len(self.posts), due, done + 1000)
        now = datetime.now(UTC)
        posts = [replace(p, fetched_at=now) for p in self.posts[done:upto]]
        return Batch(posts=posts, next_cursor=BenchCursor(upto), exhausted=upto >= min(due, len(self.posts)))

    def refresh(self, posts: Any) -> list[Any]:
        return []


def daemon(config_path: str, count: int, rate: float, rss_file: str) -> None:
    """One benchmark daemon (runs until SIGTERM); writes its peak RSS (MB) to `rss_file` at the end."""
    import logging

    from bot.app.config import load_config
    from bot.app.daemon import build_pipeline, run_forever
    from bot.app.logs import setup_logging
    from connectors.stage import IngestStage

    config = load_config(config_path)
    setup_logging("human", os.environ.get("EARSHOT_BENCH_LOG", "WARNING"))
    logging.getLogger("bot.routing.stage").setLevel(logging.ERROR)
    pipeline = build_pipeline(config)
    source = BenchSource(count, rate)  # the one source: ingest is a stage per source, built with the pipeline
    pipeline.connectors = [source]  # type: ignore[list-item]
    pipeline.polled = [IngestStage(source, pipeline.intake)]  # type: ignore[arg-type]
    pipeline.classifier  # noqa: B018 - load the model before the clock starts
    if os.environ.get("EARSHOT_BENCH_TRACEMALLOC"):
        _trace_growth(Path(rss_file).with_suffix(".growth"), float(os.environ["EARSHOT_BENCH_TRACEMALLOC"]))
    threads = _thread_cpu()
    Path(rss_file).with_suffix(".ready").write_text("1")
    run_forever(pipeline)  # ends by stopping the classifier's worker process, so its usage counts below
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    Path(rss_file).with_suffix(".cpu").write_text(str(sum(u.ru_utime + u.ru_stime for u in usage)))
    by_stage = Counter({"model worker": usage[1].ru_utime + usage[1].ru_stime})
    for (name, _), seconds in threads.items():  # earshot-lane-stub:on-call-2 -> earshot-lane-stub:on-call
        by_stage[name.rstrip("0123456789_-")] += seconds
    Path(rss_file).with_suffix(".threads").write_text(json.dumps(by_stage))
    Path(rss_file).write_text(str(sum(u.ru_maxrss for u in usage) / 1024))  # daemon + worker, each at its peak


def _thread_cpu() -> dict[tuple[str, int], float]:
    """CPU-seconds per live thread of this process, by (name, native id), refreshed every 0.2 s."""
    import threading

    seen: dict[tuple[str, int], float] = {}
    tick = os.sysconf("SC_CLK_TCK")

    def watch() -> None:
        while True:
            for thread in threading.enumerate():
                try:  # fields 14 and 15 of /proc/.../stat: user and system clock ticks
                    stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue  # the thread ended between enumerate and read
                seen[(thread.name, thread.native_id or 0)] = (int(stat[11]) + int(stat[12])) / tick
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True, name="bench-cpu-watch").start()
    return seen


def _trace_growth(path: Path, every_s: float) -> None:
    """Every `every_s`, write where Python memory grew since the first interval (tracemalloc, by line)."""
    import threading
    import tracemalloc

    tracemalloc.start(8)

    def watch() -> None:
        time.sleep(every_s)
        first = tracemalloc.take_snapshot()
        while True:
            time.sleep(every_s)
            top = tracemalloc.take_snapshot().compare_to(first, "traceback")[:12]
            lines = [f"{stat.size_diff / 1e6:+.2f} MB {stat.count_diff:+d} blocks" for stat in top]
            details = ["\n".join([line, *stat.traceback.format()[-8:]]) for line, stat in zip(lines, top, strict=True)]
            path.write_text(f"after {time.monotonic():.0f} s\n" + "\n\n".join(details), encoding="utf-8")

    threading.Thread(target=watch, daemon=True).start()


def bench_config(folder: Path, url: str, batch: int, threads: int) -> Path:
    import yaml

    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["database"] = {"url": url}
    document["connectors"]["replay"]["enabled"] = False
    document["connectors"]["engagement"]["enabled"] = False
    document["classifier"].update(batch_size=batch, threads=threads)
    document["pipeline"]["batch_size"] = max(batch, 128)
    document["routing"]["alerts"]["cap_per_hour"] = 1_000_000
    for name, tier in document["routing"]["alerts"]["tiers"].items():
        tier["urls"] = [f"stub://{name}"]
        tier.pop("quiet_hours", None)
    path = folder / f"config-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def fresh_pg(admin_url: str) -> str:
    import sqlalchemy

    name = f"earshot_bench_{uuid.uuid4().hex[:8]}"
    engine = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _progress(url: str) -> tuple[int, int, int]:
    """(posts stored, posts waiting to be classified or routed, alert rows still to send)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            stored = c.execute(text("SELECT count(*) FROM post")).scalar() or 0
            waiting = c.execute(text("SELECT count(*) FROM post WHERE stage IN ('ingested','classified')")).scalar()
            to_send = "SELECT count(*) FROM outbox WHERE kind='alert' AND status IN ('pending','sending')"
            unsent = c.execute(text(to_send)).scalar()
        return int(stored), int(waiting or 0), int(unsent or 0)
    except Exception:  # noqa: BLE001 - the schema is not there yet
        return 0, 1, 1
    finally:
        engine.dispose()


def _figures(url: str) -> dict[str, Any]:
    """Throughput from first post stored to last post routed; latency from post stored to its alert sent."""
    from sqlmodel import select

    from bot.store import Store
    from bot.store.delivery_tables import AlertRow, OutboxRow
    from bot.store.tables import PostRow

    store = Store.open(url, migrate_schema=False)
    with store.session() as session:
        stamps = session.exec(select(PostRow.fetched_at, PostRow.stage_at)).all()
        sent = session.exec(
            select(OutboxRow.sent_at, PostRow.fetched_at)
            .join(AlertRow, AlertRow.id == OutboxRow.ref_id)  # type: ignore[arg-type]
            .join(PostRow, PostRow.id == AlertRow.post_id)  # type: ignore[arg-type]
            .where(OutboxRow.kind == "alert", OutboxRow.status == "sent", AlertRow.escalation_level == 0)
        ).all()
    store.engine.dispose()
    start = min(f for f, _ in stamps)
    end = max(s for _, s in stamps)
    latencies = sorted((s - f).total_seconds() for s, f in sent if s is not None)

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 3) if latencies else float("nan")

    seconds = (end - start).total_seconds()
    return {
        "posts": len(stamps),
        "seconds": round(seconds, 1),
        "posts_per_s": round(len(stamps) / seconds, 1) if seconds else None,
        "alerts": len(latencies),
        "p50_s": pct(0.50),
        "p99_s": pct(0.99),
    }


def run_one(label: str, url: str, processes: int, args: Any, folder: Path) -> dict[str, Any]:
    """Start `processes` daemons on `url`, wait until all is routed and sent, stop them; their figures."""
    config = bench_config(folder, url, args.batch, args.threads)
    rss = [folder / f"rss-{uuid.uuid4().hex[:6]}.txt" for _ in range(processes)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if args.classifier == "stub":
        env["EARSHOT_BENCH_STUB"] = "1"
    daemons = [
        subprocess.Popen(
            [sys.executable, __file__, "daemon", str(config), str(args.posts), str(args.rate), str(path)],
            cwd=REPO,
            env=env,
        )
        for path in rss
    ]
    try:
        deadline = time.monotonic() + 3 * 3600
        while time.monotonic() < deadline:
            stored, waiting, unsent = _progress(url)
            if stored >= args.posts and waiting == 0 and unsent == 0:
                break
            if any(d.poll() is not None for d in daemons):
                raise SystemExit(f"{label}: a daemon exited early")
            time.sleep(1)
    finally:
        for d in daemons:
            d.send_signal(signal.SIGTERM)
        for d in daemons:
            d.wait(120)
    figures = _figures(url)
    peaks = [float(p.read_text()) for p in rss if p.exists()]
    cpu = sum(float(p.with_suffix(".cpu").read_text()) for p in rss if p.with_suffix(".cpu").exists())
    by_thread: Counter[str] = Counter()
    for path in (p.with_suffix(".threads") for p in rss if p.with_suffix(".threads").exists()):
        by_thread.update(json.loads(path.read_text()))
    return {
        "run": label,
        **figures,
        "daemon_cpu_s": round(cpu, 1),  # on a shared machine, posts per CPU-second says more than wall time
        "posts_per_cpu_s": round(figures["posts"] / cpu, 1) if cpu else None,
        "peak_rss_mb": round(max(peaks), 0) if peaks else None,
        # where the CPU went: the model's worker process, then each daemon thread (stage loop, lane)
        "cpu_s_by_thread": {name: round(sec, 1) for name, sec in by_thread.most_common() if sec >= 0.05},
    }


def run_e2e(args: Any) -> list[dict[str, Any]]:
    """SQLite with one process, then PostgreSQL with one and two when `--pg-url` is given.

    With `--foreign`, SQLite runs twice, all English then with that share of posts in other languages,
    and the second's throughput is given as a share of the first's.
    """
    folder = Path(tempfile.mkdtemp(prefix="earshot-e2e-"))
    results = [run_one("sqlite, 1 process", f"sqlite:///{folder / 'bench.db'}", 1, args, folder)]
    print(json.dumps(results[-1]), flush=True)
    if args.foreign:
        os.environ["EARSHOT_BENCH_FOREIGN"] = str(args.foreign)
        try:
            mixed = run_one(
                f"sqlite, 1 process, {args.foreign:.0%} not English",
                f"sqlite:///{folder / 'mixed.db'}",
                1,
                args,
                folder,
            )
        finally:
            del os.environ["EARSHOT_BENCH_FOREIGN"]
        english, other = results[-1]["posts_per_s"], mixed["posts_per_s"]
        mixed["of_english"] = round(other / english, 2) if english and other else None
        results.append(mixed)
        print(json.dumps(results[-1]), flush=True)
    if args.pg_url:
        for processes in (1, 2):
            results.append(
                run_one(f"postgresql, {processes} process(es)", fresh_pg(args.pg_url), processes, args, folder)
            )
            print(json.dumps(results[-1]), flush=True)
    return results


def _rss_mb(pid: int) -> float:
    """The resident memory of the process and its children (the classifier's worker) now (Linux /proc)."""
    total = 0.0
    for status in [Path(f"/proc/{pid}/status"), *_children(pid)]:
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def _children(pid: int) -> list[Path]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"\nPPid:\t{pid}\n" in status.read_text():
                found.append(status)
        except OSError:  # the process ended meanwhile
            continue
    return found


def run_soak(args: Any) -> dict[str, Any]:
    """One daemon on SQLite at an offered rate for `--minutes`: its RSS sampled every `--every` seconds."""
    folder = Path(tempfile.mkdtemp(prefix="earshot-soak-"))
    url = f"sqlite:///{folder / 'soak.db'}"
    config = bench_config(folder, url, args.batch, 1)
    count = int(args.rate * args.minutes * 60)
    rss_file = folder / "rss.txt"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if args.classifier == "stub":
        env["EARSHOT_BENCH_STUB"] = "1"
    if args.trace_every:
        env["EARSHOT_BENCH_TRACEMALLOC"] = str(args.trace_every)
        print(f"tracemalloc growth: {rss_file.with_suffix('.growth')}", flush=True)
    command = [sys.executable, __file__, "daemon", str(config), str(count), str(args.rate), str(rss_file)]
    process = subprocess.Popen(command, cwd=REPO, env=env)
    samples: list[tuple[float, float, int]] = []  # (minutes since the first post was offered, RSS MB, posts stored)
    try:
        while not rss_file.with_suffix(".ready").exists():
            if process.poll() is not None:
                raise SystemExit("soak: the daemon exited early")
            time.sleep(1)
        started = time.monotonic()
        while time.monotonic() - started < args.minutes * 60:
            time.sleep(args.every)
            if process.poll() is not None:
                raise SystemExit("soak: the daemon exited early")
            stored, _, _ = _progress(url)
            samples.append((round((time.monotonic() - started) / 60, 2), round(_rss_mb(process.pid), 1), stored))
            print(json.dumps({"minute": samples[-1][0], "rss_mb": samples[-1][1], "posts": stored}), flush=True)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(120)
    half = [rss for minute, rss, _ in samples if minute >= args.minutes / 2]
    return {
        "run": f"soak, sqlite, {args.rate:g} posts/s offered, {args.minutes:g} min",
        "posts": samples[-1][2] if samples else 0,
        "rss_mb_first_sample": samples[0][1] if samples else None,
        "rss_mb_at_half_time": half[0] if half else None,
        "rss_mb_at_end": samples[-1][1] if samples else None,
        "rss_mb_max": max(rss for _, rss, _ in samples) if samples else None,
        **_figures(url),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["daemon"]:
        if os.environ.get("EARSHOT_BENCH_STUB"):
            import classifiers
            from classifiers.stub import StubClassifier

            classifiers.load_classifier = lambda settings, **_: StubClassifier()  # type: ignore[assignment]
        daemon(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
