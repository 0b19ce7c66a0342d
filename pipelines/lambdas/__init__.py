"""The project's Lambda functions: one module per function (its `handler`), and `package`, which zips each with
only the project modules it imports."""
