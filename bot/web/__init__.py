"""The alert feed: a live web page (FastAPI, Jinja2, Server-Sent Events) and its JSON API."""
