"""Plans and drives runs: dependencies, approval gates, model propagation, triggers."""
