"""Service CI: work out how a repository is tested, and run it."""
