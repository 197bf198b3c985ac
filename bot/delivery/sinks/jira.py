"""Ticket sink: Jira issues through the `jira` library.

The idempotency key becomes a label (`earshot-<hash>`); the sink searches for it before
creating, so a retry after a lost reply finds the first issue instead of opening a second.
Comments carry the same kind of marker and are skipped when already present.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import requests

from bot.core.actions import Delivery, TicketRequest
from bot.core.errors import SinkError
from bot.core.escape import for_jira_wiki, one_line
from bot.delivery.sinks.base import SinkPlugin, SinkSettings, TicketSink, http_failure, secret_from_env, status_delivery

_PRIORITIES = {"low": "Low", "normal": "Medium", "high": "High", "urgent": "Highest"}


class Settings(SinkSettings):
    """`routing.tickets.sinks.jira:` — server URL, project key, issue type, account email, token env var."""

    url: str = ""
    project: str = ""
    issue_type: str = "Task"
    email: str = ""
    token_env: str = "JIRA_API_TOKEN"
    cloud: bool = False  # Jira Cloud searches with /rest/api/3/search/jql
    set_priority: bool = True


class Sink(TicketSink):
    """Creates Jira issues and comments on them."""

    def __init__(
        self, name: str, settings: SinkSettings, *, timeout_seconds: float = 10.0, token: str | None = None
    ) -> None:
        super().__init__(name, settings, timeout_seconds=timeout_seconds)
        assert isinstance(settings, Settings)
        if not settings.url or not settings.project or not settings.email:
            raise SinkError(f"routing.tickets.sinks.{name}: needs url, project and email")
        token = secret_from_env(name, settings.token_env, token)
        self.url, self.project = settings.url, settings.project
        self._auth = (settings.email, token)
        self._client: Any = None

    def open(self, request: TicketRequest) -> Delivery:
        return self._guard(lambda: self._open(request))

    def comment(self, ref: str, request: TicketRequest) -> Delivery:
        return self._guard(lambda: self._comment(ref, request))

    def _open(self, request: TicketRequest) -> Delivery:
        settings = self.settings
        assert isinstance(settings, Settings)
        client = self._jira()
        label = _label(request.idempotency_key)
        found = client.search_issues(
            f'project = "{self.project}" AND labels = "{label}"', maxResults=1, fields="key", json_result=True
        )
        issues = found.get("issues") or []
        if issues:
            return Delivery(ok=True, ref=str(issues[0]["key"]))
        fields: dict[str, Any] = {
            "project": {"key": self.project},
            "issuetype": {"name": settings.issue_type},
            "summary": one_line(request.subject)[:250],
            "description": for_jira_wiki(f"{request.body}\n\n{request.post_url}"),
            "labels": [label, "earshot", f"queue-{request.queue}".replace(" ", "-")],
        }
        if settings.set_priority:
            fields["priority"] = {"name": _PRIORITIES[request.priority]}
        issue = client.create_issue(fields=fields, prefetch=False)
        return Delivery(ok=True, ref=str(issue.key))

    def _comment(self, ref: str, request: TicketRequest) -> Delivery:
        client = self._jira()
        marker = f"[{_label(request.idempotency_key)}]"
        for existing in client.comments(ref):
            if marker in (existing.body or ""):
                return Delivery(ok=True, ref=ref)
        text = for_jira_wiki(f"{request.body}\n\n{request.post_url}")  # wiki markup: links, images, macros shown
        client.add_comment(ref, f"{text}\n{marker}")
        return Delivery(ok=True, ref=ref)

    def _jira(self) -> Any:
        """The jira client, made once; no server-info probe, no hidden retries (the outbox retries)."""
        if self._client is None:
            from jira import JIRA

            self._client = JIRA(
                server=self.url,
                basic_auth=self._auth,
                get_server_info=False,
                max_retries=0,
                timeout=self.timeout_seconds,
            )
            settings = self.settings
            assert isinstance(settings, Settings)
            if settings.cloud:
                self._client.deploymentType = "Cloud"
        return self._client

    def _guard(self, call: Callable[[], Delivery]) -> Delivery:
        """Run a jira call, turning its exceptions into a Delivery."""
        from jira.exceptions import JIRAError

        try:
            return call()
        except JIRAError as err:
            if err.status_code:
                return status_delivery(int(err.status_code), str(err.text or ""))
            return Delivery(ok=False, error=f"jira: {err.text or err}")
        except requests.RequestException as err:
            return http_failure(err, self.timeout_seconds)

    def __repr__(self) -> str:
        return f"jira.Sink(name={self.name!r}, url={self.url!r}, project={self.project!r}, token=***)"


def _label(key: str) -> str:
    return "earshot-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


SINK = SinkPlugin(Settings, Sink)
