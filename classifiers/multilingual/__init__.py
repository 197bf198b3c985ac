"""Posts in other languages: multilingual-e5-small with heads distilled from the English model.

See docs/classifier.md, "Languages".
"""
