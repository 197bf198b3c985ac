"""`earshot check-config` catches what `earshot run` rejects about sources, and creates nothing.

These need `connectors.registry.problems` (wing-connectors); until it reports anything they are skipped.
"""

from pathlib import Path

from typer.testing import CliRunner

from bot.app.config import load_config
from bot.cli.main import app
from connectors.registry import problems

X_ON = (
    "brand: {name: Aurora Motors}\ndatabase: {url: 'sqlite:///data/earshot.db'}\n"
    "connectors:\n  replay: {enabled: false}\n  x: {enabled: true, queries: ['@AuroraMotors']}\n"
)
REPLAY_MISSING = (
    "brand: {name: Aurora Motors}\ndatabase: {url: 'sqlite:///data/earshot.db'}\n"
    "connectors:\n  replay: {enabled: true, path: no/such/folder}\n"
)


def checked(tmp_path: Path, text: str):
    """check-config on `text`: the lines it printed, after checking it created nothing and exited 2."""
    path = tmp_path / "config.yaml"
    path.write_text(text)
    assert problems(load_config(path)), "the registry must see what stops this source"
    result = CliRunner().invoke(app, ["check-config", str(path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]  # no database file, no data folder
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.stderr.strip().splitlines()


def test_an_enabled_source_without_its_credentials_is_caught(tmp_path, monkeypatch):
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    lines = checked(tmp_path, X_ON)
    assert len(lines) == 1 and lines[0].startswith("config error: ")
    assert "connectors.x" in lines[0] and "X_BEARER_TOKEN" in lines[0]


def test_a_replay_path_that_does_not_exist_is_caught(tmp_path):
    lines = checked(tmp_path, REPLAY_MISSING)
    assert len(lines) == 1 and lines[0].startswith("config error: ")
    assert "connectors.replay.path" in lines[0] and "no/such/folder" in lines[0]
