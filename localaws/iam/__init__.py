"""IAM actions moto lacks, answered by the stack's authorization engine."""
