"""Settle the SageMaker SDK's import-time output before anything imports `sagemaker`.

Imported (for its effect) by the packages that build pipelines. Without it the SDK prints a v2
deprecation notice and config-file INFO lines to STDOUT, which would corrupt the definition JSON that
`get-pipeline-definition` prints. Staying on v2 is deliberate (the pipelines use v2 step classes); the SDK's warnings
still reach stderr through the root logger.
"""

import logging
import os

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
_config_logger = logging.getLogger("sagemaker.config")
if _config_logger.level == logging.NOTSET:
    _config_logger.setLevel(logging.WARNING)
if not _config_logger.handlers:
    # Any handler stops the SDK from attaching its own stdout handler; records still propagate to the root.
    _config_logger.addHandler(logging.NullHandler())
