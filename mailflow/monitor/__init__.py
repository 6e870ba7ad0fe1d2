"""Watching the watcher: health checks and Prometheus metrics for the running daemon."""
