"""The domain: job lifecycle rules, user-facing messages, languages, errors. No I/O."""
