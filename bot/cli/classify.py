"""The classifier's commands: `earshot classify`, `earshot evaluate`, `earshot train`."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.app.config import Config
from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, echo, echo_json, load
from bot.core.errors import EarshotError, StoreError

DATA_DIR = Path("data/labelled")


def _data_dir(settings: Config) -> Path:
    """data/labelled next to the config, else the one in this checkout."""
    from classifiers.data import SHIPPED_DATA_DIR

    beside_config = settings.resolve(DATA_DIR)
    return beside_config if (beside_config / "complaints.jsonl").is_file() else SHIPPED_DATA_DIR


def classify(
    texts: Annotated[
        list[str],
        typer.Argument(help="Posts to classify; a text may begin with '-'. A lone '-' reads them from stdin."),
    ],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Print one JSON object per text: every head's label and score, topics, urgency, language.

    Every argument that is not --config or --help is a text: `earshot classify "-50% off" -c config.yaml`.
    """
    empty = [str(number) for number, text in enumerate(texts, 1) if not text.strip()]
    if empty:  # checked before the model loads (seconds)
        raise EarshotError(f"text {', '.join(empty)} is empty: give the text of a post to classify")
    from classifiers import load_classifier
    from classifiers.evaluate import classify_texts

    settings = load(config)
    for row in classify_texts(load_classifier(settings.classifier), texts):
        echo_json(row)


def evaluate(
    data: Annotated[Path | None, typer.Option("--data", help="JSON Lines with text and labels.")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    topics: Annotated[
        Path | None, typer.Option("--topics", help="A taxonomy (JSON or YAML list) instead of the config's topics.")
    ] = None,
    false_pages: Annotated[
        bool, typer.Option("--false-pages", help="Critical posts per 1,000 held-out real tweets, each one listed.")
    ] = False,
) -> None:
    """Print one JSON object: per label accuracy and macro-F1 for the model beside its baselines.

    Labels: complaint, sentiment, severity (TF-IDF baseline), topic and critical (confusion table,
    false pages and people at risk caught per 1,000, TF-IDF and frozen-encoder baselines).
    `--false-pages`: how many held-out real tweets, brand and general, the product would page on-call for.
    """
    if (data is None) == (not false_pages):
        raise EarshotError("give --data FILE (a labelled file) or --false-pages (held-out real tweets), not both")
    from classifiers import load_classifier
    from classifiers.evaluate import evaluate as run_evaluation
    from classifiers.evaluate import false_pages as count_false_pages
    from classifiers.taxonomy import read_taxonomy

    settings = load(config)
    if data is None:
        echo(json.dumps(count_false_pages(load_classifier(settings.classifier), _data_dir(settings))))
        return
    classifier_settings = settings.classifier
    if topics is not None:
        classifier_settings = classifier_settings.model_copy(update={"topics": read_taxonomy(topics)})
    report = run_evaluation(
        load_classifier(classifier_settings), data, _data_dir(settings), settings=classifier_settings
    )
    echo(json.dumps(report))


def train(
    config: ConfigOption = DEFAULT_CONFIG,
    out: Annotated[Path | None, typer.Option(help="Where to write the artifacts.")] = None,
    epochs: Annotated[int, typer.Option(help="Passes over the training data.")] = 3,
    threads: Annotated[int | None, typer.Option(help="Torch threads (default: every core).")] = None,
) -> None:
    """Fine-tune the encoder and its heads on data/labelled (fixed seed), calibrate, save the artifacts."""
    from classifiers.artifacts import DEFAULT_DIR
    from classifiers.train import TrainOptions
    from classifiers.train import train as run_training

    settings = load(config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    target = out or (Path(settings.classifier.model_dir) if settings.classifier.model_dir else DEFAULT_DIR)
    extra = _corrections(settings)
    # Not classifier.threads: that leaves the daemon's other stages a core; training has the machine.
    options = TrainOptions(epochs=epochs, threads=threads or os.cpu_count() or 1)
    report = run_training(_data_dir(settings), target, options, extra=extra)
    echo(json.dumps(report))


def _corrections(settings: Config) -> dict[str, list[Any]]:
    """The feed's corrections as labelled examples (none, with a warning, if the database is unreachable)."""
    from bot.store import Store
    from classifiers.data import corrected_examples

    try:
        with Store.open(settings.database_url).transaction() as tx:
            found = [(c.kind, c.value, c.text) for c in tx.labels.corrections(limit=100_000)]
    except StoreError as err:
        echo(f"warning: corrections from the feed left out: {err}", err=True)
        return {}
    extra = corrected_examples(found)  # every kind is handed over; each kind's use is decided there
    echo(f"training with {sum(map(len, extra.values()))} corrected examples from the feed", err=True)
    return extra
