"""Serving the feed: uvicorn in a thread beside the daemon (`earshot run`), or alone (`earshot serve`)."""

from __future__ import annotations

import logging
import threading
import time

import uvicorn
from fastapi import FastAPI

from bot.core.errors import EarshotError

log = logging.getLogger(__name__)


class FeedServer:
    """The feed's web server, started in a thread and stopped cleanly."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.app = app
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=3,
            access_log=False,
            proxy_headers=False,  # the app believes X-Forwarded-* from web.trusted_proxies only
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._serve, name="earshot-web", daemon=True)

    def _serve(self) -> None:
        try:
            self.server.run()
        except SystemExit:  # uvicorn exits when it cannot bind; start() says so in one line
            pass

    def start(self, wait_seconds: float = 15) -> None:
        """Start serving; EarshotError if it cannot listen (the port taken, say)."""
        self.thread.start()
        deadline = time.monotonic() + wait_seconds
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self.server.started:
            self.stop()
            config = self.server.config
            raise EarshotError(f"the feed cannot listen on {config.host}:{config.port} (is the port taken?)")
        log.info("feed listening", extra={"url": f"http://{self.server.config.host}:{self.port}"})

    @property
    def port(self) -> int:
        """The port bound (useful with port 0), once started."""
        for server in getattr(self.server, "servers", []):
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.server.config.port

    def stop(self) -> None:
        """End live streams, then ask uvicorn to finish open requests and exit."""
        self.app.state.feed.stopping = True
        self.server.should_exit = True
        self.thread.join(timeout=10)
        log.info("feed stopped")
