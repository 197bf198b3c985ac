"""Classifiers that tag every post: complaint, sentiment, severity, urgency, topics."""
