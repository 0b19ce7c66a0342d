"""SageMaker AddTags as AWS answers it: a key already on the resource gets the new value.

moto 5.2 appends every tag it is given, so a key tagged twice is listed twice by ListTags with both values.
`deploy-endpoint` records an endpoint's previous config in a tag it rewrites on every switch.
"""

from __future__ import annotations

from moto.sagemaker.models import SageMakerModelBackend


def install() -> None:
    SageMakerModelBackend.add_tags = _add_tags


def _add_tags(self: SageMakerModelBackend, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    resource = self._get_resource_from_arn(arn)
    given = {tag["Key"]: tag["Value"] for tag in tags}
    resource.tags = [tag for tag in resource.tags if tag["Key"] not in given] + \
        [{"Key": key, "Value": value} for key, value in given.items()]
    return resource.tags
