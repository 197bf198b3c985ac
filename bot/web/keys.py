"""The key that signs the feed's cookies: from `EARSHOT_SECRET_KEY`, or a key file made once.

Never from the database: a backup of the database must not be enough to forge a login.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from bot.core.errors import ConfigError

log = logging.getLogger(__name__)
ENV = "EARSHOT_SECRET_KEY"
MIN_LENGTH = 32


def session_key(key_file: Path) -> str:
    """`EARSHOT_SECRET_KEY` when set, else the key in `key_file`, made (mode 0600) if missing."""
    from_env = os.environ.get(ENV, "").strip()
    if from_env:
        return _long_enough(from_env, ENV)
    try:
        return _long_enough(key_file.read_text(encoding="utf-8").strip(), f"web.secret_key_file ({key_file})")
    except FileNotFoundError:
        return _make(key_file)
    except OSError as err:
        raise ConfigError(
            f"web.secret_key_file: cannot read {key_file}: {err.strerror or err}; "
            f"set {ENV} or point web.secret_key_file at a readable file"
        ) from err


def key_problem(key_file: Path) -> str | None:
    """Why `session_key` would fail, checked without making anything (`earshot check-config`)."""
    from_env = os.environ.get(ENV, "").strip()
    if from_env:
        return (
            None
            if len(from_env) >= MIN_LENGTH
            else f"{ENV}: the session key must have at least {MIN_LENGTH} characters"
        )
    if key_file.exists():
        try:
            _long_enough(key_file.read_text(encoding="utf-8").strip(), f"web.secret_key_file ({key_file})")
        except (OSError, ConfigError) as err:
            return str(err) if isinstance(err, ConfigError) else f"web.secret_key_file: cannot read {key_file}: {err}"
        return None
    folder = next((p for p in (key_file.parent, *key_file.parent.parents) if p.exists()), None)
    if folder is None or not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"web.secret_key_file: cannot create {key_file}; set {ENV} or point web.secret_key_file at a writable place"
        )
    return None


def _make(key_file: Path) -> str:
    """A new random key in `key_file`, readable by its owner only; one log line says where."""
    partial = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        os.link(partial, key_file)  # whole or not at all; fails if another process made it first
    except FileExistsError:
        return session_key(key_file)  # theirs is the one
    except OSError as err:
        raise ConfigError(
            f"web.secret_key_file: cannot create {key_file}: {err.strerror or err}; "
            f"set {ENV} or point web.secret_key_file at a writable place"
        ) from err
    finally:
        partial.unlink(missing_ok=True)
    log.warning(
        "made a new session key in %s (mode 0600): every process serving the feed needs this same key "
        "(or %s); keep it apart from database backups",
        key_file,
        ENV,
    )
    return session_key(key_file)


def _long_enough(key: str, where: str) -> str:
    if len(key) < MIN_LENGTH:
        raise ConfigError(f"{where}: the session key must have at least {MIN_LENGTH} characters")
    return key
