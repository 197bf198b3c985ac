"""The shell: the `earshot` command line (bot.cli.main builds it; one module per command group)."""
