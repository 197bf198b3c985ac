"""Connectors: poll X, Reddit or a recorded demo stream, and normalise posts; one folder per source."""
