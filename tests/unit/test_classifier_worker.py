"""The classifier in its own process: same labels as in this one, a clear error when it dies, and no orphan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from bot.app.config import load_config
from bot.core.errors import ModelError
from classifiers import load_classifier
from classifiers.evaluate import post_from_text
from classifiers.worker import ProcessClassifier
from tests.conftest import REPO, process_running

pytestmark = [pytest.mark.model, pytest.mark.process]

TEXTS = ["my car won't charge at home and support hung up on me", "love the new update!", "brake pedal went soft"]


@pytest.fixture(scope="module")
def settings():
    return load_config(REPO / "config.yaml").classifier.model_copy(update={"threads": 1})


@pytest.fixture(scope="module")
def worker(settings):
    classifier = load_classifier(settings, own_process=True)
    yield classifier
    classifier.close()


def test_worker_labels_match_the_in_process_classifier(worker, settings):
    here = load_classifier(settings)
    posts = [post_from_text(t, i) for i, t in enumerate(TEXTS)]
    theirs, ours = worker.classify(posts), here.classify(posts)
    assert isinstance(worker, ProcessClassifier) and worker.version == here.version
    assert [x.complaint for x in theirs] == [x.complaint for x in ours]
    assert [x.urgency for x in theirs] == [x.urgency for x in ours]
    assert np.allclose([x.complaint_score for x in theirs], [x.complaint_score for x in ours], atol=1e-6)
    assert np.allclose(worker.embed(TEXTS), here.embed(TEXTS), atol=1e-6)
    assert worker.classify([]) == []


def test_a_dead_worker_is_a_model_error_then_starts_again(worker):
    os.kill(worker._process.pid, signal.SIGKILL)  # noqa: SLF001 - the test plays the kernel's OOM killer
    with pytest.raises(ModelError, match="classifier process ended"):
        worker.classify([post_from_text(TEXTS[0])])
    assert worker.classify([post_from_text(TEXTS[0])])[0].complaint  # a fresh worker, the model loaded again


def test_unusable_model_is_a_model_error_from_the_worker(settings, tmp_path):
    broken = settings.model_copy(update={"model_dir": str(tmp_path)})
    with pytest.raises(ModelError, match=str(tmp_path)):
        load_classifier(broken, own_process=True)


def test_worker_ends_when_its_daemon_is_killed(tmp_path):
    script = (
        "from pathlib import Path\n"
        "from bot.app.config import load_config\n"
        "from classifiers import load_classifier\n"
        "if __name__ == '__main__':\n"
        f"    c = load_classifier(load_config({str(REPO / 'config.yaml')!r}).classifier, own_process=True)\n"
        f"    Path({str(tmp_path / 'pid')!r}).write_text(str(c._process.pid))\n"
        "    import time; time.sleep(600)\n"
    )
    path = tmp_path / "daemon.py"
    path.write_text(script)
    daemon = subprocess.Popen([sys.executable, str(path)], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "pid").exists() and time.monotonic() < deadline:
            assert daemon.poll() is None, "the daemon failed to start its worker"
            time.sleep(0.2)
        child = int((tmp_path / "pid").read_text())
        daemon.kill()  # SIGKILL: no cleanup runs in the daemon
        daemon.wait(10)
        deadline = time.monotonic() + 20
        while process_running(child) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not process_running(child), "the classifier worker outlived its daemon"
    finally:
        daemon.kill()
