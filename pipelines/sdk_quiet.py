"""Make SageMaker Python SDK v3 build definitions offline, and import it without side effects on the process.

Imported by the packages that build pipelines before anything else imports `sagemaker`; it imports the SDK's
workflow package itself, inside `offline_sdk`, because importing it has effects that no definition may depend on:
- classes create boto3 clients when they are defined (`boto3.client("sagemaker")`), which needs a region and, once
  used, credentials: inside `offline_sdk` every boto3 client is a `RefusingClient`;
- a module calls `logging.basicConfig(level=INFO)`, which would add a handler to the root logger of whatever process
  imported the platform and print the SDK's INFO lines (to stderr, or into a definition printed to stdout): the
  root logger is left as it was.

`offline_sdk(region)` is the block every definition is built in (pipelines/definitions.py): in the building thread,
boto3's default session and every `boto3.Session` created are definition-only ones whose clients refuse to be used
(any AWS call is a bug in a pure build), while the process's other threads keep real sessions; `ModelTrainer` does
not check its role against IAM (SAGEMAKER_VALIDATE_ROLE=false), and the SDK's notes about intended behaviour are
silenced. The block holds a process-wide lock: the patched names and the environment are global, so two threads
building at once would otherwise undo each other's settings.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import warnings
from collections.abc import Iterator

import boto3
import boto3.session

from pipelines.errors import MlopsError


class _UserAgent:
    """What `ModelBuilder.build()` decorates on the client (the user agent of calls it would make): no call is made."""

    def to_string(self) -> str:
        return ""


class RefusingClient:
    """Stands in for every AWS client of a definition build: any use is a bug in a pure build."""

    def __init__(self, service: str):
        self._service = service
        self._user_agent_creator = _UserAgent()

    def __getattr__(self, name: str):
        raise MlopsError(f"building a pipeline definition used the {self._service} client ({name}); "
                         "definitions must be built without AWS calls")


class DefinitionOnlyBotoSession:
    """The boto3 session of a definition build: a region, and clients that refuse to be used.

    No credential is looked up (no credential chain, no instance metadata service) and no botocore
    service model is loaded, which is also most of what a cold build would otherwise spend.
    """

    def __init__(self, region_name: str):
        self.region_name = region_name

    def client(self, service_name: str, *args, **kwargs) -> RefusingClient:
        return RefusingClient(service_name)

    def resource(self, service_name: str, *args, **kwargs) -> RefusingClient:
        return RefusingClient(f"{service_name} resource")

    def get_credentials(self) -> None:
        return None


_building = threading.local()  # `region`: set in a thread while it builds a definition


def _building_region() -> tuple[bool, str | None]:
    return hasattr(_building, "region"), getattr(_building, "region", None)


class _DefinitionOnlyInBuildingThread(boto3.session.Session):
    """`boto3.Session` while a definition is built: the building thread gets a definition-only session (the SDK
    creates some to read their region), any other thread of the process a real one."""

    def __new__(cls, *args, region_name: str | None = None, **kwargs):
        building, region = _building_region()
        if building:  # not an instance of cls: __init__ is not called on it
            return DefinitionOnlyBotoSession(region_name or region)
        return super().__new__(cls)


class _PerThreadDefaultSession:
    """boto3's default session (what `boto3.client(...)` uses) while a definition is built: definition-only in the
    building thread; elsewhere the process's own, created as boto3 would create it when there was none."""

    def __init__(self, outside: boto3.session.Session | None, real_session: type):
        self.outside = outside
        self._real_session = real_session

    def __getattr__(self, name: str):
        building, region = _building_region()
        if building:
            return getattr(DefinitionOnlyBotoSession(region), name)
        if self.outside is None:
            self.outside = self._real_session()
        return getattr(self.outside, name)


# The SDK's loggers that note intended behaviour while building: popped job names, "no job started within a
# PipelineSession", image-URI defaults, the telemetry notice, config lookups.
CHATTY_LOGGERS = ("sagemaker", "sagemaker.core", "sagemaker.mlops", "sagemaker.train", "sagemaker.serve",
                  "sagemaker.config", "sagemaker.core.utils.utils")
# What a ModelBuilder is given as `log_level`: it sets its module's logger ("sagemaker.core.utils.utils", restored
# when the block ends) to it, DEBUG by default, which would print its notes while building.
MODEL_BUILDER_LOG_LEVEL = logging.ERROR
_lock = threading.RLock()


@contextlib.contextmanager
def offline_sdk(region: str | None) -> Iterator[None]:
    """Build inside this block: no AWS call, no credential lookup, no role check, no notes, no root log handler."""
    with _lock:
        saved_session, saved_session_classes = boto3.DEFAULT_SESSION, (boto3.Session, boto3.session.Session)
        saved_building = _building_region()
        saved_validate = os.environ.get("SAGEMAKER_VALIDATE_ROLE")
        saved_basic_config = logging.basicConfig
        chatty = [logging.getLogger(name) for name in CHATTY_LOGGERS]
        saved_levels = [logger.level for logger in chatty]
        _building.region = region
        default_session = saved_session if isinstance(saved_session, _PerThreadDefaultSession) else \
            _PerThreadDefaultSession(saved_session, saved_session_classes[0])
        boto3.DEFAULT_SESSION = default_session
        boto3.Session = boto3.session.Session = _DefinitionOnlyInBuildingThread
        os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"
        logging.basicConfig = lambda *args, **kwargs: None
        for logger in chatty:
            logger.setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                yield
        finally:
            # A default session another thread created meanwhile stays the process's.
            boto3.DEFAULT_SESSION = saved_session if saved_session is not None else default_session.outside
            if saved_building[0]:
                _building.region = saved_building[1]
            else:
                del _building.region
            boto3.Session, boto3.session.Session = saved_session_classes
            if saved_validate is None:
                os.environ.pop("SAGEMAKER_VALIDATE_ROLE", None)
            else:
                os.environ["SAGEMAKER_VALIDATE_ROLE"] = saved_validate
            logging.basicConfig = saved_basic_config
            for logger, level in zip(chatty, saved_levels, strict=True):
                logger.setLevel(level)


# The region a real session would have: the SDK keeps some (JumpStart's default region) from import time.
with offline_sdk(os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
    import sagemaker.core.workflow.pipeline_context
    import sagemaker.mlops.workflow.pipeline  # noqa: F401
