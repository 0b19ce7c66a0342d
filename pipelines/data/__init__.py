"""The Mammographic Mass data set: validation of the raw file and the four files the pipelines read."""
