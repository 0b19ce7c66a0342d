"""Lambda in the local stack: the functions fields moto drops, and Invoke running the function code in-process."""
