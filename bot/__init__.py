"""Earshot's daemon, store, pipeline and router."""
