"""Routing: rules, incidents, tickets, alerts and their outbox."""
