"""The four operations and their wire protocol (the top layer)."""
