"""Onboarding a brand: `earshot init` writes a config from an industry template; `check-config` warns."""
