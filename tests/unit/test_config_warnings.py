"""`check-config` warns about what a user forgets when making the demo config their own brand's."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from bot.app.config import config_from_document, load_config
from bot.cli.main import app
from bot.onboarding.lint import config_warnings
from tests.conftest import REPO

TIERS = [f"routing.alerts.tiers.{t}.urls" for t in ("support", "on-call", "executive", "leadership", "operator")]


def _half_edited(tmp_path: Path) -> Path:
    """The shipped demo config with only brand.name and brand.handles changed to an airline's."""
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["brand"]["name"], document["brand"]["handles"] = "Northwind Air", ["NorthwindAir", "NorthwindHelp"]
    document["connectors"]["replay"]["path"] = str(REPO / "data" / "demo")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_a_brand_section_still_naming_another_brand_warns_at_each_yaml_path(tmp_path: Path) -> None:
    paths = [w.path for w in config_warnings(load_config(_half_edited(tmp_path)))]
    assert paths == [
        "brand.aliases[0]",
        "brand.products[0]",
        "brand.products[1]",
        "brand.subreddits[0]",
        "brand.ambiguous[0]",
        "brand.about",
        "classifier.topics[0].examples[2]",  # "... this is ridiculous @AuroraMotors"
        "brand.responders.x",
        "brand.responders.reddit",
        "brand.responders.bluesky",
        "brand.responders.mastodon",
        *TIERS,
    ]


def test_check_config_prints_each_warning_with_what_to_do_and_still_passes(tmp_path: Path) -> None:
    path = _half_edited(tmp_path)
    result = CliRunner().invoke(app, ["check-config", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert (
        f"WARNING: {path}: brand.aliases[0]: 'Aurora' shares nothing with 'Northwind Air' or its handles: "
        in (lines[0])
    )
    assert "run `earshot init`" in lines[0]
    assert any(line.startswith(f"WARNING: {path}: brand.about: does not name Northwind Air") for line in lines)
    assert '"warnings": 16' in result.stdout


def test_the_shipped_demo_config_only_lacks_channels() -> None:
    assert [w.path for w in config_warnings(load_config(REPO / "config.yaml"))] == TIERS


def test_topics_and_risk_signals_naming_no_topic_warn(tmp_path: Path) -> None:
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["classifier"]["risk_signals"][0]["topic"] = "brakes"
    document["classifier"]["safety"]["topic"] = "danger"
    document["routing"]["rules"][1]["when"]["topics"] = ["charging", "baggage"]
    document["routing"]["rules"][0]["when"]["any"][0]["topics"] = ["luggage"]
    config = config_from_document(document, tmp_path / "config.yaml")
    found = {w.path: w.message for w in config_warnings(config) if not w.path.startswith("routing.alerts")}
    assert list(found) == [
        "classifier.risk_signals[0].topic",
        "classifier.safety.topic",
        "routing.rules[0].when.any[0].topics[0]",
        "routing.rules[1].when.topics[1]",
    ]
    assert found["classifier.risk_signals[0].topic"].startswith("no topic 'brakes'; use one of: billing and charges")


def test_responders_without_the_brands_accounts_warn(tmp_path: Path) -> None:
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["brand"]["responders"] = {"x": ["someone_else"], "reddit": ["AuroraMotors_Team"]}
    config = config_from_document(document, tmp_path / "config.yaml")
    assert [w.path for w in config_warnings(config) if w.path.startswith("brand")] == ["brand.responders.x"]
    document["brand"]["responders"] = {}
    config = config_from_document(document, tmp_path / "config.yaml")
    assert [w.path for w in config_warnings(config) if w.path.startswith("brand")] == ["brand.responders"]
