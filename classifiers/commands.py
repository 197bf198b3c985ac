"""The classifier's CLI commands: `earshot classify`, `earshot evaluate`, `earshot train`."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from bot.config import DEFAULT_CONFIG, Config, load_config
from bot.core.errors import ConfigError, EarshotError

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Path to config.yaml.")]
DATA_DIR = Path("data/labelled")


def _config(path: Path) -> Config:
    try:
        return load_config(path)
    except ConfigError as err:
        typer.echo(f"config error: {err}", err=True)
        raise typer.Exit(2) from err


def _data_dir(settings: Config) -> Path:
    """data/labelled next to the config, else the one in this checkout."""
    from classifiers.data import SHIPPED_DATA_DIR

    beside_config = settings.resolve(DATA_DIR)
    return beside_config if (beside_config / "complaints.jsonl").is_file() else SHIPPED_DATA_DIR


def _fail(err: EarshotError) -> typer.Exit:
    typer.echo(f"error: {err}", err=True)
    return typer.Exit(1)


def classify(texts: Annotated[list[str], typer.Argument(help="Posts to classify.")],
             config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Print one JSON object per text: every head's label and score, topics, urgency, language."""
    from classifiers import load_classifier
    from classifiers.evaluate import classify_texts

    settings = _config(config)
    try:
        for row in classify_texts(load_classifier(settings.classifier), texts):
            typer.echo(json.dumps(row, ensure_ascii=False))
    except EarshotError as err:
        raise _fail(err) from err


def evaluate(data: Annotated[Path, typer.Option("--data", help="JSON Lines with text and labels.")],
             config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Print one JSON object: per head accuracy and macro-F1 for the model and the TF-IDF baseline."""
    from classifiers import load_classifier
    from classifiers.evaluate import evaluate as run_evaluation

    settings = _config(config)
    try:
        report = run_evaluation(load_classifier(settings.classifier), data, _data_dir(settings))
    except EarshotError as err:
        raise _fail(err) from err
    typer.echo(json.dumps(report))


def train(config: ConfigOption = DEFAULT_CONFIG,
          out: Annotated[Path | None, typer.Option(help="Where to write the artifacts.")] = None,
          epochs: Annotated[int, typer.Option(help="Passes over the training data.")] = 3) -> None:
    """Fine-tune the encoder and its heads on data/labelled (fixed seed), calibrate, save the artifacts."""
    from classifiers.artifacts import DEFAULT_DIR
    from classifiers.train import TrainOptions, train as run_training

    settings = _config(config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    target = out or (Path(settings.classifier.model_dir) if settings.classifier.model_dir else DEFAULT_DIR)
    try:
        report = run_training(_data_dir(settings), target,
                              TrainOptions(epochs=epochs, threads=settings.classifier.threads))
    except EarshotError as err:
        raise _fail(err) from err
    typer.echo(json.dumps(report))


def register(app: typer.Typer) -> None:
    """Add classify, evaluate and train to the `earshot` app."""
    app.command("classify")(classify)
    app.command("evaluate")(evaluate)
    app.command("train")(train)
