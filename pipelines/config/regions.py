"""`aws_region` and `secondary_region`: the platform's region, and the second one the registry replicates the
model artifacts to (and prod can serve from)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pipelines.config.fields import BUCKET_HINT, BUCKET_NAME, RESOURCE_NAME, Fields, closest
from pipelines.config.registry import ModelRegistry
from pipelines.config.serving import MULTI_MODEL
from pipelines.config.workload import Workload

REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-[0-9]", re.ASCII)


@dataclass(frozen=True)
class SecondaryRegion:
    """A second region of the platform (`secondary_region`): the registry replicates the model artifacts there
    (its own bucket and customer managed key), and prod can serve from it. Settings of what prod deploys in
    that region are added here as optional fields, each read by `parse_secondary_region`."""

    region: str
    replication_enabled: bool
    """Whether S3 replicates new artifacts to the replica (the rule's Status); off keeps the replica and its key."""
    replica_artifacts_bucket_name: str
    replica_kms_alias: str
    """Alias, in the secondary region of the registry account, of the key the replicas are encrypted with."""
    replicate_delete_markers: bool = False
    """False: a delete in the primary bucket leaves the replica readable (a model served in the secondary
    region keeps its model data)."""
    endpoints: tuple[str, ...] = ()
    """The endpoints of `workload.serving` that `deploy-endpoint --region secondary` serves there (field
    `endpoints`; left out or null: every single-model endpoint of the primary). A multi-model endpoint is served
    from the data bucket's models prefix, which has no replica, so it stays in the primary region."""


@functools.cache
def region_partitions() -> dict[str, str]:
    """{region: partition} for every region of every partition in botocore's endpoint data (the same list the
    SDK resolves against)."""
    import botocore.loaders  # botocore is a dependency already; imported here to keep `import config` light

    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return {region: partition["partition"] for partition in endpoints["partitions"] for region in partition["regions"]}


@functools.cache
def known_regions() -> frozenset[str]:
    return frozenset(region_partitions())


def parse_region(fields: Fields, key: str = "aws_region") -> str:
    region = fields.get(key, str, REGION, "use a region code such as us-east-1")
    if region not in known_regions():
        match = closest(region, known_regions())
        hint = f"did you mean {match!r}?" if match else "use a region code such as us-east-1"
        raise fields.fail(key, f"has invalid value {region!r}: not an AWS region; {hint}")
    return region


def parse_secondary_region(top: Fields, primary_region: str, model_registry: ModelRegistry,
                           workload: Workload | None) -> SecondaryRegion | None:
    """`secondary_region` of the file's top level `top` (left out or null: one region)."""
    fields = top.child("secondary_region", optional=True, missing_ok=True)
    if fields is None:
        return None
    region = parse_region(fields, "region")
    if region == primary_region:
        raise fields.fail("region", f"is {region!r}, the same as 'aws_region': name another region for the "
                                    "replicas, or set 'secondary_region' to null for one region only")
    partitions = region_partitions()
    if partitions[region] != partitions[primary_region]:
        raise fields.fail("region", f"has invalid value {region!r}: it is in partition {partitions[region]}, "
                                    f"'aws_region' ({primary_region}) in {partitions[primary_region]}; S3 "
                                    "replicates within one partition")
    bucket = fields.get("replica_artifacts_bucket_name", str, BUCKET_NAME, BUCKET_HINT)
    taken = {model_registry.artifacts_bucket_name: "model_registry.artifacts_bucket_name",
             model_registry.access_log_bucket_name: "model_registry.access_log_bucket_name"}
    if bucket in taken:
        raise fields.fail("replica_artifacts_bucket_name", f"is {bucket!r}, the name of {taken[bucket]}: bucket "
                                                           "names are global, name the replica bucket differently")
    alias = fields.kms_alias("replica_kms_alias")
    replication_enabled = fields.get("replication_enabled", bool)
    return SecondaryRegion(
        region=region,
        replication_enabled=replication_enabled,
        replica_artifacts_bucket_name=bucket,
        replica_kms_alias=alias,
        replicate_delete_markers=fields.get("replicate_delete_markers", bool, default=False, optional=True),
        endpoints=_secondary_endpoints(fields, workload, replication_enabled),
    )


def _secondary_endpoints(fields: Fields, workload: Workload | None, replication_enabled: bool) -> tuple[str, ...]:
    """`secondary_region.endpoints`: names of single-model endpoints of `workload.serving`; by default all of them."""
    serving = workload.serving if workload is not None else None
    if fields.data.get("endpoints") is None:
        fields.known.add("endpoints")
        if serving is None:
            return ()
        return tuple(endpoint.name for endpoint in serving.endpoints if endpoint.mode != MULTI_MODEL)
    if serving is None:
        raise fields.fail("endpoints", "is set but this account serves no endpoints ('workload.serving' is null "
                                       "or absent): leave it out, or null")
    names = fields.string_list("endpoints", RESOURCE_NAME, "use an endpoint name of 'workload.serving.endpoints'")
    for index, name in enumerate(names):
        endpoint = serving.endpoint(name)
        if endpoint is None:
            known = [candidate.name for candidate in serving.endpoints]
            match = closest(name, known)
            raise fields.fail(f"endpoints[{index}]", f"has invalid value {name!r}: not an endpoint of "
                                                     "'workload.serving.endpoints'; "
                                                     + (f"did you mean {match!r}?" if match else
                                                        f"configured: {', '.join(known)}"))
        if endpoint.mode == MULTI_MODEL:
            raise fields.fail(f"endpoints[{index}]", f"has invalid value {name!r}: it is multi-model, served from "
                                                     "the data bucket's models prefix, which has no replica; list "
                                                     "single-model endpoints only")
    if len(set(names)) != len(names):
        raise fields.fail("endpoints", "lists an endpoint twice: name each once")
    if not replication_enabled:
        raise fields.fail("endpoints", "lists endpoints to deploy in the secondary region but "
                                       "'secondary_region.replication_enabled' is false: the replicas they would "
                                       "serve are no longer kept current; enable replication, or set 'endpoints' "
                                       "to null")
    return names
