"""`earshot init`: a complete, commented config for a new brand, from prompts or options, in shadow mode."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.shared import echo
from bot.core.errors import ConfigError, EarshotError
from bot.onboarding.templates import industries, load_template
from bot.onboarding.writer import Answers, credentials, render


def init(
    brand: Annotated[str | None, typer.Option("--brand", help="The brand's name, e.g. 'Northwind Air'.")] = None,
    handle: Annotated[
        list[str] | None, typer.Option("--handle", help="One of the brand's own accounts (repeat for more).")
    ] = None,
    alias: Annotated[
        list[str] | None, typer.Option("--alias", help="A short name people use, e.g. 'Northwind' (repeatable).")
    ] = None,
    product: Annotated[list[str] | None, typer.Option("--product", help="A product's name (repeatable).")] = None,
    subreddit: Annotated[
        list[str] | None,
        typer.Option("--subreddit", "--community", help="The brand's community, e.g. r/NorthwindAir (repeatable)."),
    ] = None,
    industry: Annotated[
        str | None, typer.Option("--industry", help="The template: " + ", ".join(i.name for i in industries()) + ".")
    ] = None,
    ambiguous: Annotated[
        list[str] | None, typer.Option("--ambiguous", help="A name that also means something else (repeatable).")
    ] = None,
    not_about: Annotated[
        list[str] | None, typer.Option("--not-about", help="What the ambiguous names also mean (repeatable).")
    ] = None,
    replay: Annotated[
        str | None, typer.Option("--replay", help="Try the config on a recorded stream (a folder) instead of the APIs.")
    ] = None,
    shadow: Annotated[
        bool, typer.Option("--shadow/--live", help="Start in shadow mode (default): decide everything, send nothing.")
    ] = True,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the config.")] = Path("config.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file without asking.")] = False,
) -> None:
    """Write a config for your brand: asks what it needs (or takes it all as options, for scripts)."""
    asking = brand is None or industry is None
    if asking and not _can_ask():
        raise EarshotError("give --brand and --industry (no terminal to ask on)")
    brand = brand or typer.prompt("Brand name (as people write it)")
    if not brand.strip():
        raise EarshotError("--brand: must not be empty")
    if asking:
        handle = handle or _list(typer.prompt("Its accounts on X, without @ (comma-separated)", default=""))
        first = brand.split()[0] if len(brand.split()) > 1 else ""
        alias = alias or _list(typer.prompt("Short names people use (comma-separated)", default=first))
        product = product or _list(typer.prompt("Product names (comma-separated)", default=""))
        subreddit = subreddit or _list(
            typer.prompt("Its subreddits / communities (comma-separated)", default=(handle or [""])[0])
        )
    if industry is None:
        choices = ", ".join(i.name for i in industries())
        industry = typer.prompt(f"Industry ({choices})")
    load_template(industry)  # ConfigError naming the industries, before anything is asked or written
    answers = Answers(
        brand=brand,
        industry=industry,
        handles=handle or (),
        aliases=alias or (),
        products=product or (),
        subreddits=subreddit or (),
        ambiguous=ambiguous or (),
        not_about=not_about or (),
        replay=replay,
        shadow=shadow,
    )
    if answers.ambiguous and not answers.not_about:
        raise ConfigError("--ambiguous needs --not-about: what else the name means (e.g. 'the northern lights')")
    _write(out, render(answers), force=force, asking=asking)
    echo(f"wrote {out} for {answers.brand} ({load_template(industry).title}), " + _mode(answers))
    for name, what in credentials(answers):
        echo(f"  needs {name}: {what}")
    echo(f"next: earshot check-config {out}   then   earshot run --config {out}   (guide: docs/onboarding.md)")


def _can_ask() -> bool:
    """Whether a person is there to answer prompts (a terminal on stdin)."""
    return sys.stdin.isatty()


def _mode(answers: Answers) -> str:
    return "in shadow mode (nothing is sent)" if answers.shadow else "live (tickets and alerts are sent)"


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _write(path: Path, text: str, *, force: bool, asking: bool) -> None:
    """Write `text` to `path`; an existing file is overwritten only with --force or a yes to the question."""
    if path.exists() and not force:
        if not asking:
            raise EarshotError(f"{path} exists; give --force to overwrite it, or --out another file")
        if not typer.confirm(f"{path} exists. Overwrite it?", default=False):
            raise EarshotError(f"{path} left as it was")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise EarshotError(f"cannot write {path}: {err.strerror or err}") from err
