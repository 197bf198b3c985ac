"""The stages a post moves through; each stage's job picks up posts at the stage before."""

STAGE_INGESTED = "ingested"
STAGE_CLASSIFIED = "classified"
STAGE_ROUTED = "routed"
STAGE_SKIPPED = "skipped"  # stored but never routed (deleted, language skipped, ...)
ROUTING_LOCK = "earshot:routing"  # the advisory lock incident assignment runs under
# Which stage wakes which is not the store's business: see bot/app/chain.py.
