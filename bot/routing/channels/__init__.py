"""Alert channels, one plugin file each: apprise (any URL apprise knows) and the in-memory stub."""
