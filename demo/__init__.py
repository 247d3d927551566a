"""The golden-path demo: a service from template to dev on this machine, with no accounts (see golden_path)."""
