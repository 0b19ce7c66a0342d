"""What every demo step shares: the three accounts' configurations, their sessions, paths and the facts so far."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from pipelines.config import EnvConfig
from pipelines.demo.facts import DemoFacts


@dataclass(frozen=True)
class PipelineStartRequest:
    """A StartPipelineExecution an EventBridge target asked for; the demo runs it as its own step."""

    environment: str
    pipeline_arn: str
    parameters: dict[str, str]
    role_arn: str
    rule: str


@dataclass
class DemoContext:
    configs: dict[str, EnvConfig]
    repo_root: Path
    work_dir: Path
    report_path: Path
    endpoint: str | None
    resources: contextlib.ExitStack
    facts: DemoFacts = field(default_factory=DemoFacts)
    pending_starts: list[PipelineStartRequest] = field(default_factory=list)

    def config(self, environment: str) -> EnvConfig:
        return self.configs[environment]

    def session(self, environment: str) -> boto3.Session:
        """A session in that environment's account, the one way the project gets one (interface 1)."""
        from pipelines.aws import session_for_account

        config = self.configs[environment]
        return session_for_account(config.account_id, config.aws_region)

    def account_label(self, environment: str) -> str:
        if environment in self.configs:
            return f"{environment} ({self.configs[environment].account_id})"
        return environment
