"""Ticket sinks, one plugin file each; a plugin module defines `Settings` and `Sink`."""
