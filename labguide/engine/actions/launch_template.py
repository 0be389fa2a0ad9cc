"""Step 4: the launch template every instance of the group is made from."""

from __future__ import annotations

import base64
from typing import Any

from labguide.aws.errors import is_error
from labguide.catalog.parameters import LaunchTemplateParams, SecurityGroupsParams
from labguide.engine.actions.security_groups import find_groups
from labguide.engine.context import LabContext
from labguide.engine.events import Event
from labguide.engine.resources import Outcome, Resource
from labguide.errors import LabguideError
from labguide.userdata.render import UserDataError, encode, render

STEP = "launch-template"


def find_template(ctx: LabContext) -> dict[str, Any] | None:
    """The lab's launch template, or None."""
    params = ctx.params(LaunchTemplateParams)
    try:
        answer = ctx.clients.ec2.describe_launch_templates(
            LaunchTemplateNames=[params.name]
        )
    except Exception as error:
        if is_error(
            error,
            "InvalidLaunchTemplateName.NotFoundException",
            "InvalidLaunchTemplateId.NotFound",
        ):
            return None
        raise
    templates = answer.get("LaunchTemplates", [])
    for template in templates:
        tags = {t["Key"]: t["Value"] for t in template.get("Tags", [])}
        if ctx.owns(tags):
            return dict(template)
    return None


def default_version(ctx: LabContext, template_id: str) -> dict[str, Any]:
    """The template's default version with its data."""
    versions = ctx.clients.ec2.describe_launch_template_versions(
        LaunchTemplateId=template_id, Versions=["$Default"]
    )["LaunchTemplateVersions"]
    return dict(versions[0])


def find(ctx: LabContext) -> list[Resource]:
    """The launch template, if it exists."""
    params = ctx.params(LaunchTemplateParams)
    template = find_template(ctx)
    if template is None:
        return []
    return [Resource("launch-template", template["LaunchTemplateId"], params.name)]


def resolve_ami(ctx: LabContext) -> str:
    """The latest Amazon Linux 2023 AMI, from the public SSM parameter (a
    filtered describe_images is slow and needs the owner's id)."""
    params = ctx.params(LaunchTemplateParams)
    answer = ctx.clients.ssm.get_parameter(Name=params.ami_parameter)
    return str(answer["Parameter"]["Value"])


def desired_data(ctx: LabContext, ami: str, group_id: str) -> dict[str, Any]:
    """The LaunchTemplateData the catalog asks for."""
    params = ctx.params(LaunchTemplateParams)
    lab = ctx.catalog.lab
    if params.instance_type not in lab.allowed_instance_types:
        raise LabguideError(
            f"Instance type {params.instance_type} is outside the lab's guardrail.",
            "Use one of: " + ", ".join(lab.allowed_instance_types) + ".",
        )
    try:
        script = render(ctx.catalog, ctx.participant)
    except UserDataError as error:
        raise LabguideError(str(error), "Fix the user data file.") from None
    instance_tags = ctx.tags(STEP)
    return {
        "ImageId": ami,
        "InstanceType": params.instance_type,
        "IamInstanceProfile": {"Name": params.instance_profile},
        "SecurityGroupIds": [group_id],
        "UserData": encode(script),
        "MetadataOptions": {
            "HttpTokens": params.http_tokens,
            "HttpEndpoint": "enabled",
            # Two hops let a container on the instance reach IMDSv2 too.
            "HttpPutResponseHopLimit": 2,
        },
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "VolumeSize": params.volume_size_gb,
                    "VolumeType": params.volume_type,
                    "DeleteOnTermination": True,
                    "Encrypted": True,
                },
            }
        ],
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": instance_tags},
            {"ResourceType": "volume", "Tags": instance_tags},
        ],
    }


def differences(current: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """What differs between a version's data and the wanted data, by field."""
    changed: list[str] = []
    if current.get("ImageId") != wanted["ImageId"]:
        changed.append("AMI")
    if current.get("InstanceType") != wanted["InstanceType"]:
        changed.append("instance type")
    profile = current.get("IamInstanceProfile", {})
    if profile.get("Name") != wanted["IamInstanceProfile"]["Name"]:
        changed.append("instance profile")
    if sorted(current.get("SecurityGroupIds", [])) != wanted["SecurityGroupIds"]:
        changed.append("security group")
    if _decoded(current.get("UserData", "")) != _decoded(wanted["UserData"]):
        changed.append("user data")
    tokens = current.get("MetadataOptions", {}).get("HttpTokens")
    if tokens != wanted["MetadataOptions"]["HttpTokens"]:
        changed.append("IMDSv2")
    if current.get("KeyName"):
        changed.append("key pair")
    return changed


def _decoded(data: str) -> bytes:
    try:
        return base64.b64decode(data)
    except ValueError:
        return data.encode()


def ensure(ctx: LabContext) -> Outcome:
    """Creates the template, or a new default version when the catalog's data
    (the user data above all) differs from the current default."""
    params = ctx.params(LaunchTemplateParams)
    groups = find_groups(ctx)
    sg_name = params.security_group
    if sg_name not in groups:
        sgs = ctx.params(SecurityGroupsParams)
        raise LabguideError(
            f"The security group {sg_name} does not exist yet.",
            f"Run step 3 (security-groups) first; it creates {sgs.instance_group}.",
        )
    ami = resolve_ami(ctx)
    ctx.report(Event(STEP, "info", f"Amazon Linux 2023 AMI is {ami}", ami))
    wanted = desired_data(ctx, ami, groups[sg_name]["GroupId"])
    outcome = Outcome()

    template = find_template(ctx)
    ec2 = ctx.clients.ec2
    if template is None:
        created = ec2.create_launch_template(
            LaunchTemplateName=params.name,
            VersionDescription="labguide: the article's settings",
            LaunchTemplateData=wanted,
            TagSpecifications=[
                {"ResourceType": "launch-template", "Tags": ctx.tags(STEP)}
            ],
        )["LaunchTemplate"]
        ctx.report(
            Event(
                STEP,
                "created",
                f"launch template {params.name}",
                created["LaunchTemplateId"],
            )
        )
        outcome.add(
            Resource("launch-template", created["LaunchTemplateId"], params.name), True
        )
        return outcome

    template_id = template["LaunchTemplateId"]
    outcome.add(Resource("launch-template", template_id, params.name))
    current = default_version(ctx, template_id)
    changed = differences(current.get("LaunchTemplateData", {}), wanted)
    if not changed:
        ctx.report(Event(STEP, "found", f"launch template {params.name}", template_id))
        return outcome

    version = ec2.create_launch_template_version(
        LaunchTemplateId=template_id,
        VersionDescription="labguide: back to the article's settings",
        LaunchTemplateData=wanted,
    )["LaunchTemplateVersion"]["VersionNumber"]
    ec2.modify_launch_template(
        LaunchTemplateId=template_id, DefaultVersion=str(version)
    )
    ctx.report(
        Event(
            STEP,
            "updated",
            f"new default version {version} ({', '.join(changed)} corrected)",
            template_id,
        )
    )
    return outcome
