"""Events in and out: job state changes to EventBridge, stop requests from SQS and EventBridge."""
