"""S3 in the local stack: bucket behaviour the platform relies on where moto differs, and replication."""
