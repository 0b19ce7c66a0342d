"""The console scripts of the platform, one module each: parse the arguments, build a typed request, call the
library, print its typed result, and turn a failure into the exit code of `pipelines/errors.py` through
`support.run_cli`. Nothing in the library imports this package: the CLI is the top layer."""
