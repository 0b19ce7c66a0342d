"""IAM authorization of the local stack: the policy engine, and the layer that applies it to every AWS call
(enforcement.py: modes off/soft/enforce; signatures.py, principals.py, operations.py, resources.py, trail.py)."""
