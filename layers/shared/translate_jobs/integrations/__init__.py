"""Integrations: S3 as the caller's data-access role, translation engines, document formats."""
