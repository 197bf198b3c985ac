"""The classifier in a process of its own, so that the daemon's other threads cannot starve it.

A thread that runs Python holds the GIL for up to 5 ms at a time, and every encoder layer needs
it a dozen times: next to a busy route thread, classification in the same process fell from
297 to 18 posts/s (docs/scaling.md, "The model in its own process"). `ProcessClassifier` keeps
the daemon's interface (`classify`, `embed`, `version`) and forwards each call over a pipe to a
spawned worker that holds the model. The worker ends when the pipe closes, so it never outlives
the daemon, even one killed with SIGKILL; a worker that dies is started again on the next call.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from bot.core.errors import ModelError
from bot.core.labels import Labels
from bot.core.posts import Post
from classifiers.base import Classifier, Embed
from classifiers.settings import ClassifierSettings

log = logging.getLogger(__name__)
STOP = ("stop", None)


def serve(settings: ClassifierSettings, conn: Connection) -> None:
    """The worker: load the model, say ("ready", version), then answer requests until the pipe closes."""
    from classifiers.transformer import TransformerClassifier

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the daemon stops us
    try:
        try:
            classifier = TransformerClassifier(settings)
        except ModelError as err:
            conn.send(("error", str(err)))
            return
        conn.send(("ready", classifier.version))
        while True:
            verb, payload = conn.recv()
            if verb == "stop":
                return
            try:
                result: Any = classifier.classify(payload) if verb == "classify" else classifier.embed(payload)
            except (ModelError, RuntimeError, ValueError) as err:
                conn.send(("error", str(err)))
            else:
                conn.send(("ok", result))
    except (EOFError, OSError):  # the daemon is gone (its end of the pipe closed): so are we
        return


class ProcessClassifier(Classifier):
    """The transformer classifier behind a pipe to its own process; build it with `load_classifier`."""

    def __init__(self, settings: ClassifierSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()  # one request on the pipe at a time
        self._process: Any = None
        self._conn: Connection | None = None
        self._start()

    def classify(self, posts: Sequence[Post]) -> list[Labels]:
        """One Labels per post, in order, computed in the worker."""
        return self._call("classify", list(posts)) if posts else []

    def embedding(self) -> Embed:
        return self.embed

    def embed(self, texts: list[str]) -> np.ndarray:
        """The normalised meaning embeddings of `texts`, computed in the worker."""
        return self._call("embed", list(texts))

    def close(self) -> None:
        """Stop the worker (it also stops by itself when this process ends)."""
        with self._lock:
            self._stop()

    # --- the pipe -----------------------------------------------------------------------

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded daemon
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(self.settings, theirs), name="earshot-classifier", daemon=True)
        process.start()
        theirs.close()  # only the worker holds its end, so its death reads as EOF here
        self._process, self._conn = process, ours
        status, payload = self._receive()
        if status != "ready":
            self._stop()
            raise ModelError(payload)
        self.version = payload

    def _call(self, verb: str, payload: list) -> Any:
        with self._lock:
            if self._conn is None:  # the last worker died: a fresh one, model loaded again
                log.warning("starting the classifier process again")
                self._start()
            assert self._conn is not None
            try:
                self._conn.send((verb, payload))
            except (BrokenPipeError, OSError) as err:
                self._stop()
                raise ModelError(f"the classifier process is gone: {err}") from err
            status, result = self._receive()
        if status != "ok":
            raise ModelError(f"the classifier failed on a batch of {len(payload)}: {result}")
        return result

    def _receive(self) -> tuple[str, Any]:
        assert self._conn is not None
        try:
            return self._conn.recv()
        except (EOFError, OSError) as err:
            process = self._process
            self._stop()
            code = process.exitcode if process is not None else None
            raise ModelError(f"the classifier process ended (exit code {code}); it restarts on the next batch") from err

    def _stop(self) -> None:
        conn, process = self._conn, self._process
        self._conn = self._process = None
        if conn is not None:
            try:
                conn.send(STOP)
            except (BrokenPipeError, OSError):
                pass
            conn.close()
        if process is not None:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
