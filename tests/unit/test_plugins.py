"""Every plugin family is found the same way: each plugin module declares one constant (bot.core.plugins)."""

from __future__ import annotations

import pytest

import bot.delivery.channels as channels
import bot.delivery.sinks as sinks
import classifiers.heads as heads
import connectors
from bot.core.plugins import discover
from bot.delivery.channels import channel_for
from bot.delivery.channels.base import ANY
from bot.delivery.sinks import plugin, plugin_settings
from bot.delivery.sinks.base import SinkPlugin


def test_each_family_is_the_modules_that_declare_its_constant():
    assert list(discover(connectors, "SOURCE", folders=True)) == [
        "bluesky", "jetstream", "mastodon", "reddit", "replay", "x",
    ]  # fmt: skip
    assert list(discover(sinks, "SINK")) == ["jira", "stub", "webhook", "zendesk"]
    assert list(discover(channels, "CHANNEL")) == ["apprise_channel", "stub"]
    found_heads = set(discover(heads, "HEAD"))
    assert found_heads == {"complaint", "language", "safety", "sentiment", "severity", "topics", "urgency"}


def test_a_sink_plugin_is_its_settings_and_sink():
    found = plugin("webhook", "routing.tickets.sinks.ops")
    assert isinstance(found, SinkPlugin) and plugin_settings("webhook", "x") is found.settings


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("base", "sinks.ops.plugin: 'base' is not a sink plugin"),
        ("no-such", "sinks.ops.plugin: 'no-such' is not a sink plugin"),
        ("nosuch", "sinks.ops.plugin: no sink plugin 'nosuch' in bot/delivery/sinks"),
    ],
)
def test_an_unknown_sink_plugin_is_refused_naming_its_yaml_path(name: str, message: str):
    with pytest.raises(ValueError, match=message):
        plugin(name, "sinks.ops")


def test_a_channel_is_chosen_by_the_scheme_its_class_claims():
    assert type(channel_for("stub://ops")).schemes == frozenset({"stub"})
    assert type(channel_for("json://example.invalid/hook")).schemes is ANY
