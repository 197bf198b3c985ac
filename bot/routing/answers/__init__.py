"""Answered before: the brand's past public replies and written playbook, suggested for the next similar complaint.

Nothing here posts anything anywhere: suggestions are shown to people (feed, alert messages,
`route --explain`, the JSON API), who decide what to write.
"""
