"""Local stand-in for the SageMaker Model Monitor data-quality analyzer (baseline and check, AWS file formats)."""
