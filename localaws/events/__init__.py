"""EventBridge in the local stack: event patterns, rule matching and delivery, schedule rules on the stack clock."""
