"""Why the daemon runs the model in a worker process: classification beside a thread running Python.

Run from the repository root:  python benchmarks/gil.py [--posts 1024] [--batch 128]
Prints posts/s for the classifier alone, then beside a thread that spins in pure Python (as the
route stage does), in this process and through `ProcessClassifier`, one encoder thread each.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _rate(classifier, posts, batch: int) -> float:
    classifier.classify(posts[:batch])  # warm up
    started = time.perf_counter()
    for start in range(0, len(posts), batch):
        classifier.classify(posts[start : start + batch])
    return len(posts) / (time.perf_counter() - started)


def _spin(stop: threading.Event) -> None:
    total = 0
    while not stop.is_set():
        for i in range(1000):
            total += i * i


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from bot.app.config import load_config
    from classifiers import load_classifier
    from classifiers.evaluate import post_from_text

    lines = (REPO / "data/labelled/complaints.jsonl").read_text(encoding="utf-8").splitlines()
    posts = [post_from_text(json.loads(line)["text"], i) for i, line in enumerate(lines[: args.posts])]
    settings = load_config(REPO / "config.yaml").classifier.model_copy(update={"threads": 1})
    print(f"{'classifier':<22} {'beside':<16} {'posts/s':>8}")
    for own_process in (False, True):
        classifier = load_classifier(settings, own_process=own_process)
        where = "worker process" if own_process else "in process"
        print(f"{where:<22} {'nothing':<16} {_rate(classifier, posts, args.batch):8.1f}", flush=True)
        stop = threading.Event()
        spinner = threading.Thread(target=_spin, args=(stop,), daemon=True)
        spinner.start()
        try:
            print(f"{where:<22} {'a Python thread':<16} {_rate(classifier, posts, args.batch):8.1f}", flush=True)
        finally:
            stop.set()
            spinner.join()
            classifier.close()


if __name__ == "__main__":
    main()
