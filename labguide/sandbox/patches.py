"""Where moto's models part from AWS in ways the lab shows, corrected in place.

moto keeps its state in module-level objects, so these corrections are made
to its classes while a sandbox runs and undone when it stops, leaving moto as
it was for anything else in the process:

- an Auto Scaling group launches each instance into the least used of its
  subnets (AWS balances across zones; moto uses the first subnet for all),
  from the launch template version the group names, with the template's
  instance profile and a public IP only where the subnet maps one;
- a load balancer stays `provisioning` until the lab world activates it
  (moto turns it `active` on the first describe);
- an EC2 resource's tags are read by its id (moto scans every tag in the
  region for each resource, which made tag filters quadratic: a workshop's
  thirty labs hold thousands of tags).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

_lock = threading.Lock()
_saved: dict[tuple[type, str], Any] = {}


def _launch_spread(
    group: Any, count_needed: int, propagated_tags: dict[str, str]
) -> None:
    """Launches `count_needed` instances for an Auto Scaling group, spread
    over its subnets, as AWS's zone balancing does."""
    from moto.autoscaling.models import ASG_NAME_TAG, InstanceState

    propagated_tags[ASG_NAME_TAG] = group.name
    propagated_tags.update(group.instance_tags)
    ec2 = group.autoscaling_backend.ec2_backend
    subnet_ids = [s for s in (group.vpc_zone_identifier or "").split(",") if s]
    launch_template = None
    template_data: dict[str, Any] = {}
    if group.ec2_launch_template:
        launch_template = {
            "LaunchTemplateId": group.ec2_launch_template.id,
            "Version": str(group.provided_launch_template_version or "$Default"),
        }
        version = ec2._get_template_from_args(launch_template)
        template_data = version.data
        launch_template["Version"] = str(version.number)

    profile = template_data.get("IamInstanceProfile") or {}
    profile_ref = profile.get("Arn") or profile.get("Name")

    for _ in range(count_needed):
        in_use = Counter(
            state.instance.subnet_id
            for state in group.instance_states
            if state.instance.state in ("pending", "running")
        )
        subnet_id = (
            min(subnet_ids, key=lambda s: (in_use[s], subnet_ids.index(s)))
            if (subnet_ids)
            else None
        )
        public_ip = None
        if group.launch_config is not None:
            public_ip = group.launch_config.associate_public_ip_address
        reservation = ec2.run_instances(
            group.image_id if not launch_template else None,
            1,
            group.user_data if not launch_template else None,
            group.security_groups if not launch_template else [],
            instance_type=group.instance_type,
            tags={"instance": dict(propagated_tags)},
            launch_config=group.launch_config,
            launch_template=launch_template,
            is_instance_type_default=False,
            associate_public_ip=public_ip,
            subnet_id=subnet_id,
            region_name=group.region,
        )
        for instance in reservation.instances:
            instance.autoscaling_group = group
            if profile_ref:
                key = (
                    "iam_instance_profile_arn"
                    if profile.get("Arn")
                    else ("iam_instance_profile_name")
                )
                ec2.associate_iam_instance_profile(instance.id, **{key: profile_ref})
            group.instance_states.append(
                InstanceState(
                    instance,
                    protected_from_scale_in=group.new_instances_protected_from_scale_in,
                )
            )


def _stay_provisioning(balancer: Any) -> None:
    """A load balancer becomes active when the lab world says so."""


def _own_tags(resource: Any) -> list[dict[str, str]]:
    """An EC2 resource's tags, in the shape moto's `describe_tags` gives."""
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    resource_id = getattr(resource, "id", None)
    if not resource_id:
        return []
    tags = resource.ec2_backend.tags.get(resource_id) or {}
    kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "")
    return [
        {"resource_id": resource_id, "key": k, "value": v, "resource_type": kind}
        for k, v in list(tags.items())
    ]


def apply() -> None:
    """Puts the corrections in place (idempotent)."""
    from moto.autoscaling.models import FakeAutoScalingGroup
    from moto.ec2.models.core import TaggedEC2Resource
    from moto.elbv2.models import FakeLoadBalancer

    with _lock:
        for cls, name, replacement in (
            (
                FakeAutoScalingGroup,
                "replace_autoscaling_group_instances",
                _launch_spread,
            ),
            (FakeLoadBalancer, "activate", _stay_provisioning),
            (TaggedEC2Resource, "get_tags", _own_tags),
        ):
            if (cls, name) not in _saved:
                _saved[(cls, name)] = cls.__dict__[name]
                setattr(cls, name, replacement)


def undo() -> None:
    """Restores moto's own behaviour."""
    with _lock:
        for (cls, name), original in _saved.items():
            setattr(cls, name, original)
        _saved.clear()
