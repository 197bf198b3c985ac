"""`earshot topics check`: lint a topic taxonomy before going live."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, echo, load

topics_app = typer.Typer(help="The brand's topic taxonomy.", no_args_is_help=True)


@topics_app.command("check")
def check(
    config: ConfigOption = DEFAULT_CONFIG,
    topics: Annotated[
        Path | None, typer.Option("--topics", help="A taxonomy (JSON or YAML list) instead of the config's topics.")
    ] = None,
) -> None:
    """Overlapping topics, examples nearer another topic, topics with too few examples; exit 1 if any."""
    from classifiers import load_classifier
    from classifiers.taxonomy import check_taxonomy, read_taxonomy

    settings = load(config).classifier
    taxonomy = read_taxonomy(topics) if topics is not None else list(settings.topics)
    if not taxonomy:
        echo("no topics to check: classifier.topics is empty")
        raise typer.Exit(1)
    embed = getattr(load_classifier(settings), "embed", None)
    if embed is None:
        echo("this classifier has no embeddings to check topics with")
        raise typer.Exit(1)
    findings = check_taxonomy(taxonomy, embed, settings.other_topic)
    for finding in findings:
        echo(f"{finding.topic}: {finding.message}")
    echo(f"{len(taxonomy)} topics, {len(findings)} findings")
    if findings:
        raise typer.Exit(1)
