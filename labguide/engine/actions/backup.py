"""Step 12: the vault, the daily plan, its tag selection, and one on-demand
backup so the history the article asks for exists without waiting a day."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from labguide.aws.errors import endpoint_lacks_api, is_error
from labguide.catalog.parameters import BackupParams
from labguide.engine.actions.auto_scaling import find_group, live_instances
from labguide.engine.actions.iam import ensure_role, get_role, role_is_ours
from labguide.engine.context import LabContext
from labguide.engine.events import Event
from labguide.engine.resources import Outcome, Resource

STEP = "backup"


def find_plan(ctx: LabContext) -> dict[str, Any] | None:
    """The lab's plan from ListBackupPlans, or None."""
    params = ctx.params(BackupParams)
    paginator = ctx.clients.backup.get_paginator("list_backup_plans")
    for page in paginator.paginate():
        for plan in page.get("BackupPlansList", []):
            if plan["BackupPlanName"] == params.plan_name:
                return dict(plan)
    return None


def vault_exists(ctx: LabContext) -> bool:
    """Whether the lab's vault exists."""
    params = ctx.params(BackupParams)
    try:
        ctx.clients.backup.describe_backup_vault(BackupVaultName=params.vault_name)
        return True
    except ClientError as error:
        if is_error(error, "ResourceNotFoundException", "AccessDeniedException"):
            return False
        raise


def find(ctx: LabContext) -> list[Resource]:
    """The role, vault and plan, if they exist."""
    params = ctx.params(BackupParams)
    found = []
    if get_role(ctx, params.role_name) is not None and role_is_ours(
        ctx, params.role_name
    ):
        found.append(Resource("iam-role", params.role_name, params.role_name))
    if vault_exists(ctx):
        found.append(Resource("backup-vault", params.vault_name, params.vault_name))
    plan = find_plan(ctx)
    if plan:
        found.append(Resource("backup-plan", plan["BackupPlanId"], params.plan_name))
    return found


def ensure(ctx: LabContext) -> Outcome:
    """Creates the service role, vault, plan and selection, and starts one
    backup job unless one is on record already."""
    params = ctx.params(BackupParams)
    backup = ctx.clients.backup
    outcome = Outcome()

    role = ensure_role(
        ctx,
        STEP,
        params.role_name,
        "backup.amazonaws.com",
        [params.role_policy],
        outcome,
    )
    role_arn = str(role["Arn"])

    if vault_exists(ctx):
        ctx.report(Event(STEP, "found", "backup vault", params.vault_name))
        outcome.add(Resource("backup-vault", params.vault_name, params.vault_name))
    else:
        try:
            backup.create_backup_vault(
                BackupVaultName=params.vault_name, BackupVaultTags=ctx.tag_map(STEP)
            )
        except ClientError as error:
            if not is_error(error, "AlreadyExistsException"):
                raise
        ctx.report(Event(STEP, "created", "backup vault", params.vault_name))
        outcome.add(
            Resource("backup-vault", params.vault_name, params.vault_name), True
        )

    plan = find_plan(ctx)
    if plan is None:
        plan = backup.create_backup_plan(
            BackupPlan={
                "BackupPlanName": params.plan_name,
                "Rules": [
                    {
                        "RuleName": params.rule_name,
                        "TargetBackupVaultName": params.vault_name,
                        "ScheduleExpression": params.schedule,
                        "StartWindowMinutes": params.start_window_minutes,
                        "Lifecycle": {"DeleteAfterDays": params.retention_days},
                        "RecoveryPointTags": ctx.tag_map(STEP),
                    }
                ],
            },
            BackupPlanTags=ctx.tag_map(STEP),
        )
        ctx.report(
            Event(
                STEP,
                "created",
                f"plan {params.plan_name}: {params.schedule}, kept "
                f"{params.retention_days} days",
                plan["BackupPlanId"],
            )
        )
        outcome.add(
            Resource("backup-plan", plan["BackupPlanId"], params.plan_name), True
        )
    else:
        ctx.report(
            Event(STEP, "found", f"plan {params.plan_name}", plan["BackupPlanId"])
        )
        outcome.add(Resource("backup-plan", plan["BackupPlanId"], params.plan_name))
    plan_id = str(plan["BackupPlanId"])

    try:
        _ensure_selection(ctx, plan_id, role_arn, outcome)
        if params.on_demand:
            _ensure_job(ctx, role_arn, outcome)
    except ClientError as error:
        if not endpoint_lacks_api(error):
            raise
        outcome.warnings.append(
            "backup selections and jobs are not available from this endpoint"
        )
    return outcome


def _ensure_selection(
    ctx: LabContext, plan_id: str, role_arn: str, outcome: Outcome
) -> None:
    params = ctx.params(BackupParams)
    backup = ctx.clients.backup
    selections = backup.list_backup_selections(BackupPlanId=plan_id).get(
        "BackupSelectionsList", []
    )
    if any(s["SelectionName"] == params.selection_name for s in selections):
        ctx.report(Event(STEP, "found", "selection by tag", params.selection_name))
        return
    keys = ctx.catalog.lab.tag_keys
    # Conditions are ANDed (ListOfTags would be ORed): the lab's volumes, and
    # only this participant's.
    backup.create_backup_selection(
        BackupPlanId=plan_id,
        BackupSelection={
            "SelectionName": params.selection_name,
            "IamRoleArn": role_arn,
            "Resources": [params.selection_resource_type],
            "Conditions": {
                "StringEquals": [
                    {
                        "ConditionKey": f"aws:ResourceTag/{keys.lab}",
                        "ConditionValue": ctx.catalog.lab.id,
                    },
                    {
                        "ConditionKey": f"aws:ResourceTag/{keys.participant}",
                        "ConditionValue": ctx.participant_tag,
                    },
                ]
            },
        },
    )
    ctx.report(
        Event(
            STEP,
            "created",
            "selection: the lab's volumes, by tag",
            params.selection_name,
        )
    )


def _ensure_job(ctx: LabContext, role_arn: str, outcome: Outcome) -> None:
    params = ctx.params(BackupParams)
    backup = ctx.clients.backup
    jobs = backup.list_backup_jobs(ByBackupVaultName=params.vault_name).get(
        "BackupJobs", []
    )
    if jobs:
        ctx.report(
            Event(
                STEP, "found", f"{len(jobs)} backup job(s) on record", params.vault_name
            )
        )
        return

    volume_ids: list[str] = []

    def have_volume() -> bool:
        group = find_group(ctx)
        ids = [i["InstanceId"] for i in live_instances(group)] if group else []
        if not ids:
            return False
        reservations = ctx.clients.ec2.describe_instances(InstanceIds=ids)[
            "Reservations"
        ]
        for reservation in reservations:
            for instance in reservation["Instances"]:
                if instance["State"]["Name"] != "running":
                    continue
                for mapping in instance.get("BlockDeviceMappings", []):
                    volume_ids.append(mapping["Ebs"]["VolumeId"])
        return bool(volume_ids)

    if not ctx.wait_until(have_volume, "a running instance's volume to back up", STEP):
        outcome.warnings.append("no running instance yet: no on-demand backup started")
        return
    identity = ctx.clients.identity()
    arn = f"arn:aws:ec2:{ctx.region}:{identity.account}:volume/{volume_ids[0]}"
    job = backup.start_backup_job(
        BackupVaultName=params.vault_name,
        ResourceArn=arn,
        IamRoleArn=role_arn,
        StartWindowMinutes=params.start_window_minutes,
        Lifecycle={"DeleteAfterDays": params.retention_days},
        RecoveryPointTags=ctx.tag_map(STEP),
    )
    ctx.report(
        Event(
            STEP, "created", f"on-demand backup of {volume_ids[0]}", job["BackupJobId"]
        )
    )
