"""Step 2: the instances' role and instance profile (and, for step 12, the
AWS Backup service role, made the same way)."""

from __future__ import annotations

import json
from typing import Any

from labguide.aws.errors import is_error
from labguide.catalog.parameters import RoleParams
from labguide.engine.context import LabContext
from labguide.engine.events import Event
from labguide.engine.resources import Outcome, Resource

STEP = "iam-role"


def policy_arn(name: str) -> str:
    """The ARN of an AWS managed policy by name (Backup's sits under
    `service-role/`)."""
    if name.startswith("arn:"):
        return name
    if name.startswith("AWSBackupServiceRolePolicy"):
        return f"arn:aws:iam::aws:policy/service-role/{name}"
    return f"arn:aws:iam::aws:policy/{name}"


def trust_policy(service: str) -> str:
    """A trust policy that lets `service` assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def get_role(ctx: LabContext, name: str) -> dict[str, Any] | None:
    """The role named `name`, or None."""
    try:
        return dict(ctx.clients.iam.get_role(RoleName=name)["Role"])
    except Exception as error:
        if is_error(error, "NoSuchEntity"):
            return None
        raise


def role_is_ours(ctx: LabContext, name: str) -> bool:
    """Whether the role carries this lab's tags (IAM is global, so another
    region's or participant's lab may hold a role of the same name)."""
    try:
        tags = ctx.clients.iam.list_role_tags(RoleName=name)["Tags"]
    except Exception as error:
        if is_error(error, "NoSuchEntity"):
            return False
        raise
    return ctx.owns({t["Key"]: t["Value"] for t in tags})


def ensure_role(
    ctx: LabContext,
    step: str,
    name: str,
    service: str,
    policies: list[str],
    outcome: Outcome,
) -> dict[str, Any]:
    """Creates the role if missing and attaches every policy it lacks."""
    iam = ctx.clients.iam
    role = get_role(ctx, name)
    if role is None:
        try:
            role = iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=trust_policy(service),
                Description=f"{ctx.catalog.lab.id} lab: {step}",
                Tags=ctx.tags(step),
            )["Role"]
            created = True
            ctx.report(Event(step, "created", f"role trusted by {service}", name))
        except Exception as error:
            if not is_error(error, "EntityAlreadyExists"):
                raise
            role = iam.get_role(RoleName=name)["Role"]
            created = False
    else:
        created = False
        ctx.report(Event(step, "found", "role", name))
    assert role is not None
    outcome.add(Resource("iam-role", name, name), created)

    attached = {
        p["PolicyArn"]
        for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    }
    for policy in policies:
        arn = policy_arn(policy)
        if arn not in attached:
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
            ctx.report(Event(step, "updated", f"attached {policy}", name))
    return role


def find(ctx: LabContext) -> list[Resource]:
    """The role and instance profile, if they exist and are the lab's."""
    params = ctx.params(RoleParams)
    found: list[Resource] = []
    if get_role(ctx, params.role_name) is not None and role_is_ours(
        ctx, params.role_name
    ):
        found.append(Resource("iam-role", params.role_name, params.role_name))
        profile = _get_profile(ctx, params.instance_profile_name)
        if profile is not None:
            found.append(
                Resource(
                    "instance-profile",
                    params.instance_profile_name,
                    params.instance_profile_name,
                )
            )
    return found


def _get_profile(ctx: LabContext, name: str) -> dict[str, Any] | None:
    try:
        answer = ctx.clients.iam.get_instance_profile(InstanceProfileName=name)
        return dict(answer["InstanceProfile"])
    except Exception as error:
        if is_error(error, "NoSuchEntity"):
            return None
        raise


def ensure(ctx: LabContext) -> Outcome:
    """Creates the role, attaches the article's policies, and puts the role in
    an instance profile of the same name (as the console does)."""
    params = ctx.params(RoleParams)
    outcome = Outcome()
    ensure_role(
        ctx,
        STEP,
        params.role_name,
        params.trusted_service,
        params.managed_policies,
        outcome,
    )

    iam = ctx.clients.iam
    profile = _get_profile(ctx, params.instance_profile_name)
    if profile is None:
        profile = iam.create_instance_profile(
            InstanceProfileName=params.instance_profile_name, Tags=ctx.tags(STEP)
        )["InstanceProfile"]
        ctx.report(
            Event(STEP, "created", "instance profile", params.instance_profile_name)
        )
        created = True
    else:
        created = False
        ctx.report(
            Event(STEP, "found", "instance profile", params.instance_profile_name)
        )
    assert profile is not None
    if params.role_name not in {r["RoleName"] for r in profile.get("Roles", [])}:
        iam.add_role_to_instance_profile(
            InstanceProfileName=params.instance_profile_name, RoleName=params.role_name
        )
        ctx.report(
            Event(
                STEP, "updated", "role added to the instance profile", params.role_name
            )
        )
    outcome.add(
        Resource(
            "instance-profile",
            params.instance_profile_name,
            params.instance_profile_name,
        ),
        created,
    )
    return outcome
