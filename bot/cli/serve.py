"""`earshot serve`: the alert feed alone, without the daemon (on web.host:web.port)."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, echo, load


def serve(
    config: ConfigOption = DEFAULT_CONFIG,
    host: Annotated[str | None, typer.Option("--host", help="Overrides web.host.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Overrides web.port.")] = None,
) -> None:
    """Serve the alert feed until SIGTERM/SIGINT, without polling or routing anything."""
    import uvicorn

    from bot.app.logs import setup_logging
    from bot.store import Store
    from bot.web.build import build_app

    settings = load(config)
    setup_logging(settings.logging.format, settings.logging.level)
    app = build_app(settings, Store.open(settings.database_url))
    bind_host, bind_port = host or settings.web.host, settings.web.port if port is None else port
    echo(f"earshot feed on http://{bind_host}:{bind_port}", err=True)
    uvicorn.run(
        app,
        host=bind_host,
        port=bind_port,
        log_level="warning",
        timeout_graceful_shutdown=3,
        proxy_headers=False,  # the app believes X-Forwarded-* from web.trusted_proxies only
    )
