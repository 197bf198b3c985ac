"""The feed's server thread: it says where it listens, refuses loudly when the port is taken, stops cleanly."""

from __future__ import annotations

import socket

import httpx
import pytest

from bot.core.errors import EarshotError
from bot.store import Store
from bot.web.app import create_app
from bot.web.server import FeedServer


def test_the_feed_serves_on_a_free_port_and_stops(sqlite_store: Store) -> None:
    server = FeedServer(create_app(sqlite_store), "127.0.0.1", 0)
    server.start()
    try:
        assert server.port > 0
        assert httpx.get(f"http://127.0.0.1:{server.port}/healthz").json() == {"status": "alive"}
        assert httpx.get(f"http://127.0.0.1:{server.port}/api/alerts").status_code == 401
    finally:
        server.stop()
    assert not server.thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{server.port}/healthz")


def test_a_taken_port_is_one_clear_error(sqlite_store: Store) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = FeedServer(create_app(sqlite_store), "127.0.0.1", port)
        with pytest.raises(EarshotError, match=rf"the feed cannot listen on 127.0.0.1:{port} \(is the port taken\?\)"):
            server.start()
    assert not server.thread.is_alive()
