"""The stages a post moves through; each stage's job picks up posts at the stage before."""

STAGE_INGESTED = "ingested"
STAGE_CLASSIFIED = "classified"
STAGE_ROUTED = "routed"
STAGE_SKIPPED = "skipped"  # stored but never routed (deleted, language skipped, ...)

# Wake-ups between stages: a stage that commits work notifies the next one's channel
# (in-process directly, across processes through PostgreSQL LISTEN/NOTIFY).
CLASSIFY_CHANNEL = "earshot_classify"
ROUTE_CHANNEL = "earshot_route"
DELIVER_CHANNEL = "earshot_deliver"
ESCALATE_CHANNEL = "earshot_escalate"
ROUTING_LOCK = "earshot:routing"  # the advisory lock incident assignment runs under
STAGE_CHANNELS = {
    "route": ROUTE_CHANNEL,
    "escalate": ESCALATE_CHANNEL,
    "deliver": DELIVER_CHANNEL,
}  # a stage's wake-up channel by name
