"""The app: config composition, the pipeline, the daemon and its logs (above the stages, below the CLI)."""
