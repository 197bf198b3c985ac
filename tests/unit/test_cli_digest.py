"""`earshot digest`: bad periods, a send with nobody to send to, the digests kept; one line each, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli.main import app
from tests.conftest import REPO
from tests.unit.test_cli_errors import one_line_error


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_sqlite_url: str) -> str:
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["database"] = {"url": migrated_sqlite_url}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    monkeypatch.delenv("EARSHOT_DATABASE_URL", raising=False)
    return str(path)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--since", "yesterday"], "--since 'yesterday': give a span like 24h"),
        (["--since", "24h", "--from", "2026-12-01"], "give --since, or --from/--to, not both"),
        (["--to", "2026-12-01"], "--to needs --from"),
        (["--from", "2026-12-02", "--to", "2026-12-01"], "must be after --from"),
        (["--from", "Monday"], "--from 'Monday': give a date like 2026-12-01"),
        (["--show", "7"], "no digest 7"),
    ],
)
def test_a_bad_request_is_one_line(config: str, args: list[str], says: str) -> None:
    assert says in one_line_error(CliRunner().invoke(app, ["digest", *args, "--config", config]), 1)


def test_send_without_recipients_is_a_config_error(config: str) -> None:
    line = one_line_error(CliRunner().invoke(app, ["digest", "--send", "--config", config]), 2)
    assert "digest.recipients" in line


def test_an_empty_store_makes_an_empty_digest_that_is_kept_and_listed(config: str, tmp_path: Path) -> None:
    out = tmp_path / "d.html"
    made = CliRunner().invoke(
        app, ["digest", "--from", "2026-11-01", "--to", "2026-11-02", "--out", str(out), "--config", config]
    )
    assert made.exit_code == 0, made.output
    assert "No complaint went viral between" in out.read_text(encoding="utf-8")
    listed = CliRunner().invoke(app, ["digest", "--list", "--config", config])
    assert listed.exit_code == 0 and "#1" in listed.output and "kept" in listed.output
    shown = CliRunner().invoke(app, ["digest", "--show", "1", "--config", config])
    assert shown.exit_code == 0 and "No complaint went viral between Sun 01 Nov 00:00" in shown.output


@pytest.mark.parametrize(
    ("section", "value", "says"),
    [
        ("brand", {"name": "Aurora", "responders": {"myspace": ["aurora"]}}, "brand.responders.myspace: no source"),
        ("digest", {"alert_tiers": ["board"]}, "digest.alert_tiers[0]: no tier 'board'"),
        ("digest", {"recipients": ["ceo"]}, "digest.recipients: 'ceo' is not an e-mail address"),
        ("digest", {"smtp": {"tls": "maybe"}}, "digest.smtp.tls"),
        ("digest", {"schedules": [{"name": "daily", "at": "25:00"}]}, "digest.schedules[0].at: '25:00' is not a time"),
    ],
)
def test_a_bad_responder_or_digest_setting_names_its_path(
    tmp_path: Path, section: str, value: object, says: str
) -> None:
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document[section] = value
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert says in one_line_error(CliRunner().invoke(app, ["check-config", str(path)]), 2)
