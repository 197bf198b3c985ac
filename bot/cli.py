"""The `earshot` command line."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated

import typer

from bot.config import DEFAULT_CONFIG, Config, load_config
from bot.core.errors import ConfigError, EarshotError, StoreError

app = typer.Typer(
    help="Earshot hears complaints about your brand on X and Reddit and gets them to the right human.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Path to config.yaml.")]


def load_or_exit(path: Path) -> Config:
    """Load the config, or print one clear line and exit with status 2."""
    try:
        return load_config(path)
    except ConfigError as err:
        typer.echo(f"config error: {err}", err=True)
        raise typer.Exit(2) from err


@app.command()
def run(
    config: ConfigOption = DEFAULT_CONFIG,
    once: Annotated[bool, typer.Option("--once", help="Run every job once and exit (for cron and tests).")] = False,
) -> None:
    """Start the daemon: poll every enabled source, classify, route and deliver, until SIGTERM/SIGINT."""
    from bot.daemon import build_pipeline, run_forever
    from bot.logs import setup_logging

    settings = load_or_exit(config)
    setup_logging(settings.logging.format, settings.logging.level)
    try:
        pipeline = build_pipeline(settings)
        if once:
            pipeline.run_once()
        else:
            run_forever(pipeline)
    except StoreError as err:
        typer.echo(f"database error: {err}", err=True)
        raise typer.Exit(1) from err
    except EarshotError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err


@app.command("check-config")
def check_config(path: Annotated[Path, typer.Argument(help="Config file to check.")] = DEFAULT_CONFIG) -> None:
    """Validate a config file and print a summary; exit 2 with one clear line if it is wrong."""
    settings = load_or_exit(path)
    sources = [name for name in ("replay", "x", "reddit") if getattr(settings.connectors, name).enabled]
    summary = {
        "config": str(path),
        "brand": settings.brand.name,
        "database": _mask_password(settings.database_url),
        "sources": sources,
        "topics": [topic.name for topic in settings.classifier.topics],
        "logging": settings.logging.format,
    }
    typer.echo(json.dumps(summary, indent=2))


def _mask_password(url: str) -> str:
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
    return url


for _module in ("connectors.commands", "classifiers.commands", "bot.routing.commands"):
    importlib.import_module(_module).register(app)
