"""Estimates of what the lab costs per hour, from the catalog's prices."""

from __future__ import annotations

from labguide.catalog.models import Catalog
from labguide.catalog.naming import parameters_of
from labguide.catalog.parameters import (
    AutoScalingParams,
    LaunchTemplateParams,
    NetworkParams,
)
from labguide.engine.state import SessionState

HOURS_PER_MONTH = 730


def _instance_hour(catalog: Catalog) -> float:
    costs = catalog.lab.costs
    template = parameters_of(catalog, LaunchTemplateParams, None)
    per_instance = costs.instance_hour.get(template.instance_type, 0.0)
    volume = template.volume_size_gb * costs.ebs_gb_month / HOURS_PER_MONTH
    # Each instance sits in a public subnet with its own public IPv4 address.
    return per_instance + volume + costs.public_ipv4_hour


def _load_balancer_hour(catalog: Catalog) -> float:
    costs = catalog.lab.costs
    zones = len(parameters_of(catalog, NetworkParams, None).subnets)
    # An internet-facing ALB holds one public IPv4 address per zone.
    return costs.load_balancer_hour + zones * costs.public_ipv4_hour


def full_lab_hourly(catalog: Catalog) -> float:
    """What the whole lab costs per hour once it runs (an estimate)."""
    costs = catalog.lab.costs
    group = parameters_of(catalog, AutoScalingParams, None)
    return (
        _load_balancer_hour(catalog)
        + group.desired_capacity * _instance_hour(catalog)
        + costs.alarm_month / HOURS_PER_MONTH
    )


def hourly_cost(catalog: Catalog, state: SessionState) -> float:
    """What the resources the session knows of cost per hour (an estimate)."""
    costs = catalog.lab.costs
    total = 0.0
    for step in state.steps.values():
        for resource in step.resources:
            kind = resource.get("kind")
            if kind == "load-balancer":
                total += _load_balancer_hour(catalog)
            elif kind == "auto-scaling-group":
                # The group keeps its desired instances running, whether or
                # not they had launched when the session last looked.
                group = parameters_of(catalog, AutoScalingParams, None)
                total += group.desired_capacity * _instance_hour(catalog)
            elif kind == "alarm":
                total += costs.alarm_month / HOURS_PER_MONTH
    return total
