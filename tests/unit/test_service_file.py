"""deploy/earshot.service restarts Earshot as its own user, hardened, and waits long enough for a clean stop."""

from __future__ import annotations

from tests.conftest import REPO

STOP_BOUND_SECONDS = 30  # Earshot exits within this of SIGTERM


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (REPO / "deploy" / "earshot.service").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_unit_restarts_runs_as_its_own_user_and_is_hardened() -> None:
    unit = directives()
    assert unit["Restart"] == ["always"] and unit["User"] == ["earshot"]
    assert unit["ExecStart"][0].endswith("earshot run --config /etc/earshot/config.yaml")
    for option in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "RestrictSUIDSGID"):
        assert unit[option] == ["yes"], option
    assert unit["ProtectSystem"] == ["strict"] and unit["CapabilityBoundingSet"] == [""]
    assert unit["EnvironmentFile"] == ["/etc/earshot/earshot.env"]


def test_the_stop_timeout_fits_the_stop_bound_and_systemds_default() -> None:
    timeout = int(directives()["TimeoutStopSec"][0])
    assert STOP_BOUND_SECONDS < timeout < 90
