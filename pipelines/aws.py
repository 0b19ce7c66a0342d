"""The one way the project gets boto3 sessions: `session_for_account`.

In production the caller's credentials must already be in the target account (Jenkins assumes
`cross-account-jenkins-role`, a person uses a profile for that account). In local mode (AWS_ENDPOINT_URL set)
the session assumes `mlops-local-admin` in the target account, which is how moto separates accounts.
"""

from __future__ import annotations

import logging

import boto3
import botocore.exceptions

from pipelines.errors import LocalStackError, UsageError
from pipelines.local.stack import LOCAL_ADMIN_ROLE_NAME, is_local_mode

log = logging.getLogger(__name__)

ROLE_SESSION_NAME = "mlops-local"


def local_admin_role_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{LOCAL_ADMIN_ROLE_NAME}"


def caller_account(session: boto3.Session) -> str:
    """The account of `session`'s credentials, with a clear error when there are none or they are rejected."""
    try:
        return session.client("sts").get_caller_identity()["Account"]
    except botocore.exceptions.NoCredentialsError:
        raise UsageError(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or use the local stack (`mlops-local up`, then `--local`)"
        ) from None
    except botocore.exceptions.EndpointConnectionError as error:
        if is_local_mode():
            raise LocalStackError(
                f"the local stack does not answer at {error.kwargs.get('endpoint_url')}: start it with `mlops-local up`"
            ) from None
        raise UsageError(f"cannot reach AWS STS: {error}") from None
    except botocore.exceptions.ClientError as error:
        raise UsageError(f"AWS rejected the current credentials: {error}") from None


def session_for_account(account_id: str, region: str) -> boto3.Session:
    """A session whose credentials act in `account_id`.

    The current credentials are used as they are when they belong to that account; in local mode the
    session assumes `mlops-local-admin` there; otherwise a UsageError names both accounts.
    """
    session = boto3.Session(region_name=region)
    current = caller_account(session)
    if current == account_id:
        return session
    if not is_local_mode():
        raise UsageError(
            f"the current AWS credentials are for account {current}, but this step acts in account {account_id}: "
            f"use credentials (a profile or an assumed role) of account {account_id}"
        )
    log.debug("assuming %s for account %s", LOCAL_ADMIN_ROLE_NAME, account_id)
    credentials = session.client("sts").assume_role(
        RoleArn=local_admin_role_arn(account_id), RoleSessionName=ROLE_SESSION_NAME
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
