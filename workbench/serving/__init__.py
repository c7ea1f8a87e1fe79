"""The REST inference service: models bound to aliases, canary splits, prediction logging."""
