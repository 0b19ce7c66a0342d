"""What every demo step shares: the accounts' configurations, the environments walked, the target, paths and the
facts so far."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from mlops_demo.environments import DemoEnvironments
from mlops_demo.facts import DemoFacts
from pipelines.aws import Target
from pipelines.config import EnvConfig


@dataclass
class DemoContext:
    configs: dict[str, EnvConfig]
    environments: DemoEnvironments
    """The workload environments the loop walks: trained in the first, promoted through to the last."""
    repo_root: Path
    work_dir: Path
    report_path: Path
    endpoint: str | None
    """A running stack to use (left running), or None: the demo starts one of its own."""
    resources: contextlib.ExitStack
    target: Target | None = None
    """The local stack every call goes to; set by the first step."""
    environments_dir: Path | None = None
    """Copies of the environment files the loop runs with (another drift-check engine), or None: the repo's."""
    reuse_applied: bool = False
    """Accounts the stack already holds applied, with no change in their configuration, are not applied again."""
    facts: DemoFacts = field(default_factory=DemoFacts)
    train_executions_before_failure: set[str] = field(default_factory=set)
    """Production's train executions before the failing inference: the one the failure rule starts is the new one."""
    capture_keys_before: set[str] = field(default_factory=set)
    """Data capture objects under production's capture prefix before the first invocation (a re-used stack keeps
    them)."""

    def config(self, environment: str) -> EnvConfig:
        return self.configs[environment]

    def require_target(self) -> Target:
        if self.target is None:
            raise RuntimeError("the local stack has not been started: the local-stack step sets the target")
        return self.target

    def session(self, environment: str) -> boto3.Session:
        """A session in that environment's account on the demo's stack."""
        config = self.configs[environment]
        return self.require_target().session(config.account_id, config.aws_region)

    def account_label(self, environment: str) -> str:
        if environment in self.configs:
            return f"{environment} ({self.configs[environment].account_id})"
        return environment
