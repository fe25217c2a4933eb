"""Cross-cutting: settings, observability, the retry contract."""
