"""Data access: the DynamoDB job table and the queries List runs on it."""
