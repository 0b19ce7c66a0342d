"""The offline end-to-end demo (`mlops-demo`): the multi-account loop driven through the commands and AWS APIs."""
