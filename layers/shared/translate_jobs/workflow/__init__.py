"""The Step Functions workflow's steps, and the reconciler of executions that ended badly."""
