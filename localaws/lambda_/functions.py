"""Lambda function fields moto 5.2 drops: LoggingConfig.

AWS returns every function's LoggingConfig (defaults: Text format, log group /aws/lambda/<name>); moto
neither stores nor returns it, so the AWS provider planned to add the Terraform-declared `logging_config`
on every plan after an apply. Stored on create, merged on update, returned with the configuration.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaFunction

_original_init = LambdaFunction.__init__
_original_get_configuration = LambdaFunction.get_configuration
_original_update_configuration = LambdaFunction.update_configuration


def install() -> None:
    LambdaFunction.__init__ = _init_with_logging_config
    LambdaFunction.get_configuration = _get_configuration_with_logging_config
    LambdaFunction.update_configuration = _update_configuration_with_logging_config


def _default_logging_config(function_name: str) -> dict[str, str]:
    return {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function_name}"}


def _init_with_logging_config(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args, **kwargs) -> None:
    _original_init(self, account_id, spec, *args, **kwargs)
    self.logging_config = {**_default_logging_config(self.function_name), **(spec.get("LoggingConfig") or {})}


def _get_configuration_with_logging_config(self: LambdaFunction, *args, **kwargs) -> dict[str, Any]:
    config = _original_get_configuration(self, *args, **kwargs)
    config["LoggingConfig"] = dict(getattr(self, "logging_config", _default_logging_config(self.function_name)))
    return config


def _update_configuration_with_logging_config(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
    if config_updates.get("LoggingConfig"):
        current = getattr(self, "logging_config", _default_logging_config(self.function_name))
        self.logging_config = {**current, **config_updates["LoggingConfig"]}
    return _original_update_configuration(self, config_updates)
