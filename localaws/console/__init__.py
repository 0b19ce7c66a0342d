"""The console of the local platform: web pages served by the stack under /_mlops/console/, reading the stack
through its AWS APIs as any client does (see docs/console.md)."""
