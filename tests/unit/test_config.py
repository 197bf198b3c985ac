"""config.yaml is validated once, with the YAML path in every error."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app.config import load_config
from bot.cli.main import app
from bot.core.errors import ConfigError
from tests.conftest import REPO

MINIMAL = "brand:\n  name: Aurora Motors\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_shipped_config_is_valid():
    config = load_config(REPO / "config.yaml")
    assert config.connectors.replay.enabled
    assert config.database_url.startswith("sqlite:///")


def test_misspelled_key_names_its_path_and_the_nearest_key(tmp_path):
    path = write(tmp_path, MINIMAL + "connectors:\n  reddit:\n    subredits: [cars]\n")
    with pytest.raises(ConfigError, match=r"connectors\.reddit\.subredits: unknown key; did you mean 'subreddits'\?"):
        load_config(path)


def test_empty_subreddits_is_rejected_with_its_path(tmp_path):
    path = write(tmp_path, MINIMAL + "connectors:\n  reddit:\n    subreddits: []\n")
    with pytest.raises(ConfigError, match=r"connectors\.reddit\.subreddits: must not be empty"):
        load_config(path)


def test_missing_required_section(tmp_path):
    with pytest.raises(ConfigError, match="brand: required key is missing"):
        load_config(write(tmp_path, "database:\n  url: sqlite:///x.db\n"))


def test_env_references_expand(tmp_path, monkeypatch):
    monkeypatch.setenv("BRAND", "Voltra")
    path = write(tmp_path, "brand:\n  name: ${BRAND}\n  handles: ['${HANDLE:-voltra}']\n")
    config = load_config(path)
    assert config.brand.name == "Voltra" and config.brand.handles == ["voltra"]


def test_unset_env_reference_names_the_path(tmp_path, monkeypatch):
    monkeypatch.delenv("NOPE_UNSET", raising=False)
    with pytest.raises(ConfigError, match=r"brand\.name: environment variable NOPE_UNSET is not set"):
        load_config(write(tmp_path, "brand:\n  name: ${NOPE_UNSET}\n"))


def test_invalid_yaml_is_one_clear_line(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "brand: [unclosed\n"))


def test_database_url_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("EARSHOT_DATABASE_URL", "postgresql+psycopg://u:p@db/earshot")
    assert load_config(write(tmp_path, MINIMAL)).database_url == "postgresql+psycopg://u:p@db/earshot"


def test_relative_sqlite_path_resolves_against_the_config_file(tmp_path, monkeypatch):
    monkeypatch.delenv("EARSHOT_DATABASE_URL", raising=False)
    config = load_config(write(tmp_path, MINIMAL))
    assert config.database_url == f"sqlite:///{tmp_path / 'data' / 'earshot.db'}"


def test_check_config_exits_2_with_one_line_on_a_misspelled_key(tmp_path):
    path = write(tmp_path, MINIMAL + "pipeline:\n  batch_sise: 10\n")
    result = CliRunner().invoke(app, ["check-config", str(path)])
    assert result.exit_code == 2
    assert "pipeline.batch_sise: unknown key; did you mean 'batch_size'?" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_check_config_prints_a_summary(tmp_path):
    result = CliRunner().invoke(app, ["check-config", str(REPO / "config.yaml")])
    assert result.exit_code == 0, result.output
    assert '"brand": "Aurora Motors"' in result.output


def test_check_config_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("EARSHOT_DATABASE_URL", raising=False)
    path = write(tmp_path, MINIMAL + "connectors:\n  replay: {enabled: false}\n")
    result = CliRunner().invoke(app, ["check-config", str(path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]  # no database, no data folder


def test_check_config_catches_a_database_url_run_would_reject(tmp_path, monkeypatch):
    monkeypatch.setenv("EARSHOT_DATABASE_URL", "notaurl")
    result = CliRunner().invoke(app, ["check-config", str(REPO / "config.yaml")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"config error: {REPO / 'config.yaml'}: database.url: not a database URL: 'notaurl' "
        "(expected e.g. sqlite:///data/earshot.db or postgresql+psycopg://user@host/earshot)"
    ]


def test_check_config_summary_masks_the_database_password(monkeypatch):
    monkeypatch.setenv("EARSHOT_DATABASE_URL", "postgresql+psycopg://earshot:s3cret@db/earshot")
    result = CliRunner().invoke(app, ["check-config", str(REPO / "config.yaml")])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert '"database": "postgresql+psycopg://earshot:***@db/earshot"' in result.output


def test_the_daemon_start_line_names_config_database_sources_and_where_to_look(monkeypatch):
    from bot.app.daemon import start_line

    monkeypatch.setenv("EARSHOT_DATABASE_URL", "postgresql+psycopg://earshot:s3cret@db/earshot")
    line = start_line(REPO / "config.yaml", load_config(REPO / "config.yaml"))
    assert line == (
        f"earshot running: config {REPO / 'config.yaml'}, database postgresql+psycopg://earshot:***@db/"
        "earshot, sources replay; see `earshot sources` and `earshot alerts`"
    )


def test_a_tier_can_say_a_public_reply_never_acknowledges_its_alerts(tmp_path):
    tier = "routing:\n  alerts:\n    tiers:\n      on-call:\n        {}\n"
    config = load_config(write(tmp_path, MINIMAL + tier.format("public_reply_acknowledges: false")))
    assert not config.routing.alerts.tiers["on-call"].public_reply_acknowledges
    assert load_config(write(tmp_path, MINIMAL)).routing.alerts.tiers["support"].public_reply_acknowledges
    with pytest.raises(
        ConfigError,
        match=r"routing\.alerts\.tiers\.on-call\.public_reply_acknowledge: unknown key; "
        r"did you mean 'public_reply_acknowledges'\?",
    ):
        load_config(write(tmp_path, MINIMAL + tier.format("public_reply_acknowledge: false")))
    with pytest.raises(ConfigError, match=r"routing\.alerts\.tiers\.on-call\.public_reply_acknowledges: "):
        load_config(write(tmp_path, MINIMAL + tier.format("public_reply_acknowledges: sometimes")))
