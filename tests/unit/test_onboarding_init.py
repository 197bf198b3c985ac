"""`earshot init`: a complete config for a new brand, from options or prompts, never over a file unasked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.app.config import load_config
from bot.cli import init as init_command
from bot.cli.main import app

AIRLINE = [
    "init", "--brand", "Northwind Air", "--handle", "NorthwindAir", "--handle", "@NorthwindHelp",
    "--alias", "Northwind", "--product", "Northwind Miles", "--subreddit", "r/NorthwindAir", "--industry", "airline",
]  # fmt: skip


def test_init_by_options_writes_a_complete_commented_config_in_shadow_mode(tmp_path: Path) -> None:
    out = tmp_path / "config.yaml"
    result = CliRunner().invoke(app, [*AIRLINE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "in shadow mode" in result.output and "needs X_BEARER_TOKEN" in result.output
    config = load_config(out)
    brand = config.brand
    assert (brand.name, brand.handles, brand.aliases) == (
        "Northwind Air",
        ["NorthwindAir", "NorthwindHelp"],
        ["Northwind"],
    )
    assert (brand.products, brand.subreddits, brand.responders["x"]) == (
        ["Northwind Miles"],
        ["NorthwindAir"],
        ["NorthwindAir", "NorthwindHelp"],
    )
    assert brand.about.startswith("Northwind Air, the airline")
    assert config.shadow and config.connectors.x.enabled and config.connectors.reddit.subreddits == ["NorthwindAir"]
    assert config.connectors.x.queries[:2] == ["@NorthwindAir", "@NorthwindHelp"]
    assert "delays and cancellations" in [t.name for t in config.classifier.topics]
    assert [r.name for r in config.routing.rules][0] == "viral-complaint"  # the shipped routing structure
    text = out.read_text(encoding="utf-8")
    assert "#   X_BEARER_TOKEN" in text and "# shadow mode" in text  # commented, credentials by name only


def test_init_never_overwrites_a_file_without_force(tmp_path: Path) -> None:
    out = tmp_path / "config.yaml"
    out.write_text("mine\n", encoding="utf-8")
    result = CliRunner().invoke(app, [*AIRLINE, "--out", str(out)])
    assert result.exit_code == 1 and out.read_text(encoding="utf-8") == "mine\n"
    assert result.stderr.strip() == f"error: {out} exists; give --force to overwrite it, or --out another file"
    assert CliRunner().invoke(app, [*AIRLINE, "--out", str(out), "--force"]).exit_code == 0
    assert load_config(out).brand.name == "Northwind Air"


def test_init_asks_what_it_is_not_told_and_asks_before_overwriting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(init_command, "_can_ask", lambda: True)
    out = tmp_path / "config.yaml"
    answers = "Northwind Air\nNorthwindAir, NorthwindHelp\n\nNorthwind Miles\n\nairline\n"  # alias, subreddit: defaults
    result = CliRunner().invoke(app, ["init", "--out", str(out)], input=answers)
    assert result.exit_code == 0, result.output
    brand = load_config(out).brand
    assert (brand.aliases, brand.subreddits, brand.products) == (["Northwind"], ["NorthwindAir"], ["Northwind Miles"])
    again = CliRunner().invoke(app, ["init", "--out", str(out)], input=answers + "n\n")
    assert again.exit_code == 1 and "left as it was" in again.stderr
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["brand"]["name"] == "Northwind Air"


def test_init_without_a_terminal_needs_brand_and_industry(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", "--brand", "Acme", "--out", str(tmp_path / "c.yaml")])
    assert (
        result.exit_code == 1 and result.stderr.strip() == "error: give --brand and --industry (no terminal to ask on)"
    )


def test_init_with_an_unknown_industry_lists_the_templates(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["init", "--brand", "Acme", "--industry", "zeppelins", "-o", str(tmp_path / "c.yaml")]
    )
    assert result.exit_code == 2 and "the industries are airline, bank, car_maker" in result.stderr
    assert not (tmp_path / "c.yaml").exists()


def test_init_with_a_replay_listens_to_the_recording_and_needs_no_credentials(tmp_path: Path) -> None:
    out = tmp_path / "config.yaml"
    result = CliRunner().invoke(app, [*AIRLINE, "--replay", "recorded", "--out", str(out)])
    assert result.exit_code == 0 and "needs" not in result.output
    config = load_config(out)
    assert config.connectors.replay.enabled and not config.connectors.x.enabled and not config.connectors.reddit.enabled
