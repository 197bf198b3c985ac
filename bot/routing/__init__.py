"""Routing, the decide side: rules, visibility, incidents and the route stage that enqueues tickets and alerts."""
