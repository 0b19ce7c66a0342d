"""SageMaker model registry calls moto 5.2 lacks, and the central registry's cross-account access.

Added actions: Put/Get/DeleteModelPackageGroupPolicy, DeleteModelPackageGroup, DeleteModelPackage.

Events: CreateModelPackage, and UpdateModelPackage when it changes the approval status, put a "SageMaker Model
Package State Change" event on the owning (registry) account's default bus, as SageMaker does; its detail is the
package's DescribeModelPackage answer (`localaws.events.delivery.model_package_state_change_event`).

Cross-account: in real AWS a workload account creates, lists, describes and updates model packages in the
registry account's group by naming the group (or the package) by ARN; the group's resource policy allows it.
moto serves every call from the caller's own account. Here a group or package named by ARN is served by the
backend of the account and region in that ARN. moto enforces no resource policies, so whether the policy
*would* allow the call is checked statically by the Terraform tests, not here.
"""

from __future__ import annotations

import json
import logging

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.exceptions import ConflictException, ValidationError
from moto.sagemaker.models import ModelPackageGroup, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from localaws.events import delivery

log = logging.getLogger(__name__)

# Parameters that may carry an ARN owned by another account, in the order they are looked at.
_RESOURCE_PARAMETERS = ("ModelPackageGroupName", "ModelPackageName", "ModelPackageArn")
_GROUP_ARN_MARKER = ":model-package-group/"

_original_get_param = SageMakerResponse._get_param
_original_create_model_package = SageMakerResponse.create_model_package
_original_update_model_package = SageMakerResponse.update_model_package


def install() -> None:
    SageMakerResponse.sagemaker_backend = property(_owning_backend)
    SageMakerResponse._get_param = _get_param_group_name_from_arn
    SageMakerResponse.put_model_package_group_policy = _put_model_package_group_policy
    SageMakerResponse.get_model_package_group_policy = _get_model_package_group_policy
    SageMakerResponse.delete_model_package_group_policy = _delete_model_package_group_policy
    SageMakerResponse.delete_model_package_group = _delete_model_package_group
    SageMakerResponse.delete_model_package = _delete_model_package
    SageMakerResponse.create_model_package = _create_model_package_with_event
    SageMakerResponse.update_model_package = _update_model_package_with_event


def _owning_backend(self: SageMakerResponse) -> SageMakerModelBackend:
    """The backend of the account that owns the group/package the request names by ARN, else the caller's."""
    for parameter in _RESOURCE_PARAMETERS:
        value = _original_get_param(self, parameter)
        if isinstance(value, str) and value.startswith("arn:"):
            # arn:partition:sagemaker:region:account:resource
            _, _, _, region, account, _ = value.split(":", 5)
            return sagemaker_backends[account][region]
    return sagemaker_backends[self.current_account][self.region]


def _get_param_group_name_from_arn(self: SageMakerResponse, param_name: str, if_none=None):
    """moto looks groups up by name only; once the owning backend is chosen, the ARN's name part is the key."""
    value = _original_get_param(self, param_name, if_none)
    if param_name == "ModelPackageGroupName" and isinstance(value, str) and _GROUP_ARN_MARKER in value:
        return value.split(_GROUP_ARN_MARKER, 1)[1]
    return value


def _group(backend: SageMakerModelBackend, name: str) -> ModelPackageGroup:
    return backend.describe_model_package_group(model_package_group_name=name)


def _group_of_policy(backend: SageMakerModelBackend, name: str) -> ModelPackageGroup:
    """The group, failing with the policy calls' own not-found message (the AWS provider matches on it)."""
    group = backend.model_package_groups.get(name)
    if group is None:
        raise ValidationError(f"Cannot find Model Package Group: {name}")
    return group


def _put_model_package_group_policy(self: SageMakerResponse) -> ActionResult:
    group = _group(self.sagemaker_backend, self._get_param("ModelPackageGroupName"))
    policy = self._get_param("ResourcePolicy")
    try:
        json.loads(policy)
    except (TypeError, ValueError):
        raise ValidationError(f"ResourcePolicy of {group.arn} is not a valid JSON policy document") from None
    group.resource_policy = policy
    return ActionResult({"ModelPackageGroupArn": group.arn})


def _get_model_package_group_policy(self: SageMakerResponse) -> ActionResult:
    group = _group_of_policy(self.sagemaker_backend, self._get_param("ModelPackageGroupName"))
    policy = getattr(group, "resource_policy", None)
    if policy is None:
        # AWS's message, which the AWS provider recognises as "no policy" (it then drops it from state).
        raise ValidationError(f"Cannot find resource policy for: {group.arn}")
    return ActionResult({"ResourcePolicy": policy})


def _delete_model_package_group_policy(self: SageMakerResponse) -> EmptyResult:
    group = _group_of_policy(self.sagemaker_backend, self._get_param("ModelPackageGroupName"))
    if getattr(group, "resource_policy", None) is None:
        raise ValidationError(f"Cannot find resource policy for: {group.arn}")
    group.resource_policy = None
    return EmptyResult()


def _delete_model_package_group(self: SageMakerResponse) -> EmptyResult:
    backend = self.sagemaker_backend
    group = _group(backend, self._get_param("ModelPackageGroupName"))
    name = group.model_package_group_name
    versions = [p for p in backend.model_packages.values() if p.model_package_group_name == name]
    if versions:
        # As in AWS: a group is deleted only once its versions are.
        raise ConflictException(f"Model Package Group {group.arn} still has {len(versions)} model package(s)")
    del backend.model_package_groups[group.model_package_group_name]
    return EmptyResult()


def _delete_model_package(self: SageMakerResponse) -> EmptyResult:
    backend = self.sagemaker_backend
    package = backend.describe_model_package(self._get_param("ModelPackageName"))
    del backend.model_packages[package.arn]
    for name in [name for name, arn in backend.model_package_name_mapping.items() if arn == package.arn]:
        del backend.model_package_name_mapping[name]
    return EmptyResult()


def _create_model_package_with_event(self: SageMakerResponse) -> ActionResult:
    result = _original_create_model_package(self)
    _put_state_change(self.sagemaker_backend, result)
    return result


def _update_model_package_with_event(self: SageMakerResponse) -> ActionResult:
    """moto sets every field the request leaves out to None (an update of the description alone would clear the
    approval status); AWS changes only what the request names."""
    backend = self.sagemaker_backend
    package = backend.describe_model_package(self._get_param("ModelPackageArn"))
    before = {"model_approval_status": package.model_approval_status,
              "approval_description": package.approval_description,
              "customer_metadata_properties": package.customer_metadata_properties}
    result = _original_update_model_package(self)
    for parameter, attribute in (("ModelApprovalStatus", "model_approval_status"),
                                 ("ApprovalDescription", "approval_description"),
                                 ("CustomerMetadataProperties", "customer_metadata_properties")):
        if self._get_param(parameter) is None:
            setattr(package, attribute, before[attribute])
    if package.model_approval_status != before["model_approval_status"]:
        _put_state_change(backend, result)
    return result


def _put_state_change(backend: SageMakerModelBackend, result: ActionResult) -> None:
    arn = result.result["ModelPackageArn"]
    description = backend.describe_model_package(arn).gen_response_object()
    try:
        delivery.put_event(delivery.model_package_state_change_event(description))
    except Exception:  # the call succeeded: a delivery problem is the bus's, not the caller's (it is logged)
        log.exception("the state change event of %s could not be put", arn)
